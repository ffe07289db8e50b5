#include "stream/stream_routes.h"

#include <cctype>
#include <charconv>
#include <string>

#include "live/revision.h"
#include "routes/authenticate.h"
#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "stream/open_stream.h"
#include "xo/collections.h"

namespace xr::app {

namespace {

// A flag as XO reads it: bare key or any value but "false" (any case).
bool flag(const Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v) return false;
  std::string lower(*v);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower != "false";
}

bool is_watchable(std::string_view name) {
  const xo::Coll c = xo::coll_from_name(name);
  return c != xo::Coll::kNone && c != xo::Coll::kVdiUnmanaged;
}

Result<WatchOptions> watch_options(const Request& req) {
  WatchOptions o;
  o.revision = flag(req, "revision");
  if (auto hb = req.query_value("heartbeat")) {
    if (hb->empty() || *hb == "true") {
      o.heartbeat_s = 30;
    } else if (*hb != "false") {
      int n = 0;
      auto [p, ec] = std::from_chars(hb->data(), hb->data() + hb->size(), n);
      if (ec != std::errc() || p != hb->data() + hb->size() || n < 1 || n > 3600) {
        return Status(ErrorKind::kInvalidArgument, "heartbeat must be a number of seconds from 1 to 3600");
      }
      o.heartbeat_s = n;
    }
  }
  return o;
}

Status watch(Connection& conn, Context& ctx, StreamServices& ss) {
  Request& req = ctx.req;
  const std::string& coll = req.segments()[2];
  if (!flag(req, "ndjson")) return Status(ErrorKind::kInvalidArgument, "watch=true requires ndjson=true");
  XR_ASSIGN_OR_RETURN(ListQuery q, parse_list_query(ctx));
  XR_ASSIGN_OR_RETURN(WatchOptions options, watch_options(req));
  std::optional<live::Revision> since;
  if (auto text = req.query_value("since")) {
    since = live::parse_revision(*text);
    if (!since) {
      ctx.error_data = "{\"since\":" + json_string(*text) + "}";
      return Status(ErrorKind::kInvalidArgument, "invalid revision (expected the X-Revision of a list or a line)");
    }
  }
  const std::string key = coll + "\n" + std::string(req.query_value("fields").value_or("\x01")) + "\n" +
                          std::string(req.query_value("filter").value_or(""));
  const cache::Reader& reader = ss.hub.reader();
  XR_ASSIGN_OR_RETURN(View * view, ss.hub.view_for(coll, std::move(q), key, ss.client_buffer));
  const uint64_t at = view->position();
  std::vector<WatchEvent> replay;
  if (since) {
    auto from = live::resume_point(reader, *since, at);
    std::vector<cache::Change> changed;
    Status s = from.is_ok() ? live::changed_between(reader, *from, at, &changed) : from.status();
    if (!s.is_ok()) {
      ctx.error_data = "{\"since\":" + json_string(live::format_revision(*since)) + ",\"revision\":" +
                       json_string(live::format_revision(live::revision_at(reader, at))) + "}";
      if (s.kind() == ErrorKind::kGone) {
        return Status(ErrorKind::kGone, "revision too old to resume from: list the collection again and "
                                        "watch with since=<its X-Revision header>");
      }
      return s;
    }
    const auto index = reader.collection(coll);
    for (const cache::Change& c : changed) {
      if (index && c.collection == *index) replay.push_back(view->current(reader, c.id, c.seq));
    }
  }
  Response& res = ctx.res;
  res.set_content_type("application/x-ndjson");
  res.add_header("Cache-Control", "no-cache");
  res.add_header("X-Accel-Buffering", "no");
  res.add_header("X-Revision", live::format_revision(live::revision_at(reader, at)));
  res.write("");  // the head
  if (req.method() == "HEAD") return Status::ok();
  auto stream = std::make_unique<WatchStream>(ss.hub, conn, *view, options, reader.instance(), at);
  view->watchers().push_back(stream.get());
  stream->set_replay(std::move(replay));
  conn.stream = std::move(stream);
  return Status::ok();
}

Status route(Connection& conn, Context& ctx, StreamServices& ss) {
  const auto& seg = ctx.req.segments();
  const bool get = ctx.req.method() == "GET" || ctx.req.method() == "HEAD";
  if (!get || seg.size() != 3 || seg[0] != "rest" || seg[1] != "v0" || !is_watchable(seg[2])) {
    return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
  }
  XR_ASSIGN_OR_RETURN(ctx.user, authenticate(ctx.req, ctx.svc, ctx.res));
  if (!ctx.user) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  if (ctx.user->permission != "admin") {
    ctx.error_data = R"({"object":{}})";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  return watch(conn, ctx, ss);
}

}  // namespace

void handle_stream_request(Connection& conn, StreamServices& ss) {
  Request req(conn.take_env(), conn.take_body());
  std::string bytes;
  Response res(&bytes, req.method() == "HEAD");
  Context ctx{req, res, ss.svc, {}, std::nullopt, {}, nullptr};
  Status s = route(conn, ctx, ss);
  if (!s.is_ok()) {
    conn.stream.reset();
    bytes.clear();
    Response err(&bytes, req.method() == "HEAD");
    write_error(err, s, ctx.error_data);
  } else {
    res.finish();
  }
  conn.send(bytes);
  if (conn.stream) {
    conn.stream->started();
  } else {
    conn.end();
  }
}

}  // namespace xr::app

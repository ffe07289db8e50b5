#include "stream/stream_routes.h"

#include <cctype>
#include <string>

#include "routes/authenticate.h"
#include "routes/http_errors.h"
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

class WatchStream : public OpenStream {};

Status route(Connection& conn, Request& req, Response& res, Services& svc, std::string* data) {
  const auto& seg = req.segments();
  const bool get = req.method() == "GET" || req.method() == "HEAD";
  if (!get || seg.size() != 3 || seg[0] != "rest" || seg[1] != "v0" || !is_watchable(seg[2])) {
    return Status(ErrorKind::kNotFound, "Cannot " + req.method() + " " + req.raw_path());
  }
  XR_ASSIGN_OR_RETURN(std::optional<auth::User> user, authenticate(req, svc, res));
  if (!user) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  if (user->permission != "admin") {
    *data = R"({"object":{}})";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  if (!flag(req, "ndjson")) {
    return Status(ErrorKind::kInvalidArgument, "watch=true requires ndjson=true");
  }
  res.set_content_type("application/x-ndjson");
  res.add_header("Cache-Control", "no-cache");
  res.add_header("X-Accel-Buffering", "no");
  res.write("");  // the head
  conn.stream = std::make_unique<WatchStream>();
  return Status::ok();
}

}  // namespace

void handle_stream_request(Connection& conn, Services& svc) {
  Request req(conn.take_env(), conn.take_body());
  std::string bytes;
  Response res(&bytes, req.method() == "HEAD");
  std::string data;
  Status s = route(conn, req, res, svc, &data);
  if (!s.is_ok()) {
    conn.stream.reset();
    bytes.clear();
    Response err(&bytes, req.method() == "HEAD");
    write_error(err, s, data);
  } else {
    res.finish();
  }
  conn.send(bytes);
  if (!conn.stream) conn.end();
}

}  // namespace xr::app

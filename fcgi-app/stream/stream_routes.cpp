#include "stream/stream_routes.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <string>

#include "audit/request_audit.h"
#include "auth/secrets.h"
#include "live/revision.h"
#include "routes/authenticate.h"
#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "routes/scope_check.h"
#include "stream/open_stream.h"
#include "stream/sse.h"
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
  // Cache collections that are no REST collection (SSE subscriptions only).
  return c != xo::Coll::kNone && c != xo::Coll::kVdiUnmanaged && c != xo::Coll::kVgpus &&
         c != xo::Coll::kVgpuTypes && c != xo::Coll::kGpuGroups && c != xo::Coll::kVtpms;
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

// The 410 of a cache revision this node cannot resume from (`why`: too old for the change
// log, an earlier run, or another node's: each node's cache follows XAPI on its own, so a
// revision names one node's cache). The client lists here and watches from that list.
Status cannot_resume(const Status& why) {
  return Status(ErrorKind::kGone, why.message() + ": list the collection again (through this node) and "
                                                  "watch with since=<its X-Revision header>");
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
  // A pool-scoped token's view is narrowed: it is shared only with the same narrowing.
  const std::string key = coll + "\n" + std::string(req.query_value("fields").value_or("\x01")) + "\n" +
                          std::string(req.query_value("filter").value_or("")) + "\n" + scope_pool_filter(ctx);
  const cache::Reader& reader = ss.hub.reader();
  auto found = ss.hub.view_for(coll, q, key, ss.client_buffer);
  if (!found.is_ok()) {
    note_filter_error(ctx, q, found.status());  // a filter past its budget: XO's filter-error shape
    return found.status();
  }
  View* view = *found;
  const uint64_t at = view->position();
  std::vector<WatchEvent> replay;
  if (since) {
    auto from = live::resume_point(reader, *since, at);
    std::vector<cache::Change> changed;
    Status s = from.is_ok() ? live::changed_between(reader, *from, at, &changed) : from.status();
    if (!s.is_ok()) {
      ctx.error_data = "{\"since\":" + json_string(live::format_revision(*since)) + ",\"revision\":" +
                       json_string(live::format_revision(live::revision_at(reader, at))) + "}";
      return s.kind() == ErrorKind::kGone ? cannot_resume(s) : s;
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
  auto stream = std::make_unique<WatchStream>(ss.hub, conn, options, reader.instance(), at);
  view->watchers().push_back(stream.get());
  stream->set_replay(std::move(replay));
  conn.stream = std::move(stream);
  return Status::ok();
}

// GET /rest/v0/tasks?ndjson&watch: the task board's events, the caller's own tasks unless
// an admin.
Status watch_tasks(Connection& conn, Context& ctx, StreamServices& ss) {
  Request& req = ctx.req;
  if (!flag(req, "ndjson")) return Status(ErrorKind::kInvalidArgument, "watch=true requires ndjson=true");
  TaskQuery q;
  XR_ASSIGN_OR_RETURN(q.options, parse_list_options(req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(q.filter, compile_list_filter(q.options, &ctx.error_data));
  if (ctx.user->permission != "admin") q.owner = ctx.user->id;
  XR_ASSIGN_OR_RETURN(WatchOptions options, watch_options(req));
  if (!ss.tasks.ready()) return Status(ErrorKind::kUnavailable, "the task store is not read yet: retry");
  std::optional<int64_t> since;
  if (auto text = req.query_value("since")) {
    since = parse_task_revision(*text);
    if (!since) {
      ctx.error_data = "{\"since\":" + json_string(*text) + "}";
      return Status(ErrorKind::kInvalidArgument, "invalid revision (expected the X-Revision of a list of tasks or a line)");
    }
    // Checked (410 when too old) once the board caught up with the store: a revision of a
    // list made just before may be newer than what the board has read yet.
  }
  q.limit(FilterLimits{static_cast<uint64_t>(ctx.svc.config.filter_match_budget), ctx.svc.config.filter_time_budget_ms});
  Response& res = ctx.res;
  if (req.method() == "HEAD") {
    write_task_watch_head(res, ss.tasks.revision());
    return Status::ok();
  }
  // The head waits for the board to catch up with the store (TaskWatchStream).
  auto stream = std::make_unique<TaskWatchStream>(ss.tasks, conn, std::move(q), options.revision,
                                                  options.heartbeat_s, ss.client_buffer);
  stream->set_since(since);
  conn.stream = std::move(stream);
  return Status::ok();
}

// GET /events: a text/event-stream with an init frame (its id), pings, subscriptions' frames.
Status open_events(Connection& conn, Context& ctx, StreamServices& ss) {
  SseResume resume;
  std::string_view last = ctx.req.param("HTTP_LAST_EVENT_ID");
  if (last.empty()) last = ctx.req.query_value("since").value_or("");
  if (!last.empty()) {
    auto parsed = parse_sse_resume(last);
    if (!parsed) {
      ctx.error_data = "{\"since\":" + json_string(last) + "}";
      return Status(ErrorKind::kInvalidArgument, "invalid revision (expected the id of a frame)");
    }
    resume = *parsed;
    const cache::Reader& reader = ss.hub.reader();
    const uint64_t at = reader.last_change_seq();
    if (resume.cache) {
      if (auto from = live::resume_point(reader, *resume.cache, at); !from.is_ok()) {
        if (from.status().kind() != ErrorKind::kGone) return from.status();
        ctx.error_data = "{\"since\":" + json_string(last) + ",\"revision\":" +
                         json_string(live::format_revision(live::revision_at(reader, at))) + "}";
        return cannot_resume(from.status());
      }
    }
    if (resume.task && ss.tasks.ready() && !ss.tasks.removed_since(*resume.task)) {
      ctx.error_data = "{\"since\":" + json_string(last) + "}";
      return Status(ErrorKind::kGone, "task revision too old to resume from: list the tasks again");
    }
  }
  Response& res = ctx.res;
  res.set_content_type("text/event-stream");
  res.add_header("Cache-Control", "no-cache, no-transform");
  res.add_header("X-Accel-Buffering", "no");
  res.write("");
  if (ctx.req.method() == "HEAD") return Status::ok();
  conn.stream = std::make_unique<SseStream>(ss.hub, ss.tasks, conn, auth::new_uuid(), ctx.user->id,
                                            flag(ctx.req, "revision"), resume);
  return Status::ok();
}

Result<SseStream*> find_sse(Context& ctx, StreamServices& ss, const std::string& id) {
  auto it = ss.hub.sse_streams().find(id);
  if (it == ss.hub.sse_streams().end() || it->second->user_id() != ctx.user->id) {
    return Status(ErrorKind::kNotFound, "no such SSE connection " + id);
  }
  return it->second;
}

// A `task` subscription waits, as a /tasks watch does (TaskWatchStream), for a read of the
// store asked when the POST came: the board may lag behind the store, and a subscription
// taking a stale board for what the client knows would send changes made before it as news.
// Its 201 (or error) is written once that read reached the board.
class PendingTaskSubscription : public OpenStream, public TaskClient {
 public:
  PendingTaskSubscription(StreamServices& ss, Connection& conn, std::string sse_id, std::string user_id,
                          TaskQuery query)
      : ss_(ss), conn_(conn), sse_id_(std::move(sse_id)), user_id_(std::move(user_id)), query_(std::move(query)) {
    ask_ = ss_.tasks.ask();
    ss_.tasks.add(this);
  }
  ~PendingTaskSubscription() override { ss_.tasks.remove(this); }
  void changed(const std::string& id, const tasks::Task* task, int64_t revision) override {
    (void)id, (void)task, (void)revision;  // the board's state once caught up covers it
  }
  void answered(uint64_t asked) override {
    if (done_ || asked < ask_) return;
    done_ = true;
    std::string bytes;
    Response res(&bytes, false);
    auto it = ss_.hub.sse_streams().find(sse_id_);
    Status s = it == ss_.hub.sse_streams().end() || it->second->user_id() != user_id_
                   ? Status(ErrorKind::kNotFound, "no such SSE connection " + sse_id_)
                   : it->second->subscribe_tasks("task", ss_.tasks, std::move(query_), ss_.client_buffer);
    if (s.is_ok()) {
      res.set_status(201);
      res.write("{\"id\":\"task\"}");
      res.finish();
    } else {
      write_error(res, s, "");
    }
    Connection& conn = conn_;
    ss_.hub.touched(conn.fd());
    conn.send(bytes);
    conn.end();  // destroys this
  }
  std::string stop_text(std::string_view reason) override {
    if (done_) return {};
    done_ = true;
    return stopped_answer(reason, "subscribe again");
  }

 private:
  StreamServices& ss_;
  Connection& conn_;
  std::string sse_id_;
  std::string user_id_;
  TaskQuery query_;
  uint64_t ask_ = 0;
  bool done_ = false;
};

// POST /events/{id}/subscriptions {"collection": "VM", "fields": ["id", "power_state"]}
Status subscribe(Connection& conn, Context& ctx, StreamServices& ss, const std::string& id) {
  XR_ASSIGN_OR_RETURN(SseStream * sse, find_sse(ctx, ss, id));
  XR_ASSIGN_OR_RETURN(std::string body, ctx.req.read_body(64 * 1024));
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return Status(ErrorKind::kInvalidArgument, "the body must be a JSON object");
  auto c = doc.FindMember("collection");
  if (c == doc.MemberEnd() || !c->value.IsString()) {
    return Status(ErrorKind::kInvalidArgument, "collection must be an XO type name such as \"VM\"");
  }
  const std::string type(c->value.GetString(), c->value.GetStringLength());
  const std::string collection(sse_collection(type));
  if (collection.empty() && type != "task") {
    ctx.error_data = "{\"collection\":" + json_string(type) + "}";
    return Status(ErrorKind::kInvalidArgument, "unsupported collection " + type);
  }
  XR_RETURN_IF_ERROR(check_scope(ctx, ScopedRequest{false, type == "task" ? "tasks" : collection, {}, {}, false, false}));
  std::string fields = "*";
  auto f = doc.FindMember("fields");
  if (f != doc.MemberEnd()) {
    if (!f->value.IsArray()) return Status(ErrorKind::kInvalidArgument, "fields must be an array of strings");
    fields.clear();
    for (const auto& v : f->value.GetArray()) {
      if (!v.IsString()) return Status(ErrorKind::kInvalidArgument, "fields must be an array of strings");
      if (!fields.empty()) fields.push_back(',');
      fields.append(v.GetString(), v.GetStringLength());
    }
    if (fields.empty()) fields = "*";
  }
  if (type == "task") {
    TaskQuery tq;
    tq.options.has_fields = true;
    tq.options.all_fields = fields == "*";
    if (!tq.options.all_fields) {
      for (size_t at = 0; at <= fields.size();) {
        const size_t comma = std::min(fields.find(',', at), fields.size());
        tq.options.fields.push_back(fields.substr(at, comma - at));
        at = comma + 1;
      }
    }
    if (!ss.tasks.ready()) return Status(ErrorKind::kUnavailable, "the task store is not read yet: retry");
    conn.stream = std::make_unique<PendingTaskSubscription>(ss, conn, sse->id(), ctx.user->id, std::move(tq));
    return Status::ok();  // answered once the board caught up
  }
  ListQuery q;
  q.options.has_fields = true;
  q.options.all_fields = fields == "*";
  q.fields = cache::FieldList::parse(fields);
  XR_RETURN_IF_ERROR(narrow_to_scope_pools(ctx, &q));
  XR_RETURN_IF_ERROR(sse->subscribe(type, collection, std::move(q), fields + "\n" + scope_pool_filter(ctx),
                                    ss.client_buffer));
  ctx.res.set_status(201);
  ctx.res.write("{\"id\":" + json_string(type) + "}");
  return Status::ok();
}

Status route(Connection& conn, Context& ctx, StreamServices& ss) {
  const auto& seg = ctx.req.segments();
  const std::string& method = ctx.req.method();
  const bool get = method == "GET" || method == "HEAD";
  const bool api = seg.size() >= 3 && seg[0] == "rest" && seg[1] == "v0";
  const bool events = api && seg[2] == "events";
  const bool tasks = api && seg.size() == 3 && seg[2] == "tasks" && get;
  const bool known = (events && seg.size() == 3 && get) ||
                     (events && seg.size() == 5 && seg[4] == "subscriptions" && method == "POST") ||
                     (events && seg.size() == 6 && seg[4] == "subscriptions" && method == "DELETE") ||
                     (!events && api && seg.size() == 3 && get && is_watchable(seg[2])) || tasks;
  if (!known) return Status(ErrorKind::kNotFound, "Cannot " + method + " " + ctx.req.raw_path());
  XR_ASSIGN_OR_RETURN(ctx.user, authenticate(ctx.req, ctx.svc, ctx.res));
  if (!ctx.user) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  // Every request here reads (SSE subscriptions only choose what is read).
  XR_RETURN_IF_ERROR(check_scope(ctx, ScopedRequest{false, seg[2], {}, {}, false, false}));
  if (tasks) return watch_tasks(conn, ctx, ss);  // users watch their own tasks
  if (ctx.user->permission != "admin") {
    ctx.error_data = R"({"object":{}})";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  if (!events) return watch(conn, ctx, ss);
  if (seg.size() == 3) return open_events(conn, ctx, ss);
  if (method == "POST") return subscribe(conn, ctx, ss, seg[3]);
  XR_ASSIGN_OR_RETURN(SseStream * sse, find_sse(ctx, ss, seg[3]));
  if (!sse->unsubscribe(seg[5])) return Status(ErrorKind::kNotFound, "no such subscription " + seg[5]);
  ctx.res.set_status(204);
  return Status::ok();
}

}  // namespace

// A wait a worker handed off (routes/task_wait.h): nothing is written until it ends.
static void handle_wait(Connection& conn, StreamServices& ss, std::unique_ptr<Request> req) {
  auto spec = TaskWaitSpec::parse(*req);
  if (!spec.is_ok()) {
    std::string bytes;
    Response err(&bytes, false);
    write_error(err, spec.status(), "");
    conn.send(bytes);
    conn.end();
    return;
  }
  conn.stream = std::make_unique<TaskWait>(ss.tasks, conn, ss.svc, std::move(req), std::move(*spec));
  conn.stream->started();  // may end it at once
}

void handle_stream_request(Connection& conn, StreamServices& ss, bool stopping) {
  auto handed = std::make_unique<Request>(conn.take_env(), conn.take_body());
  if (handed->param("DOCUMENT_URI") == kWaitLocation) return handle_wait(conn, ss, std::move(handed));
  if (stopping) {
    conn.send(stopped_answer("the server is stopping", "retry"));
    conn.end();
    return;
  }
  Request& req = *handed;
  std::string bytes;
  Response res(&bytes, req.method() == "HEAD");
  Context ctx{req, res, ss.svc, {}, std::nullopt, {}, nullptr, {}};
  Status s = route(conn, ctx, ss);
  if (!s.is_ok()) {
    conn.stream.reset();
    bytes.clear();
    Response err(&bytes, req.method() == "HEAD");
    write_error(err, s, ctx.error_data);
    Context answered{req, err, ss.svc, {}, std::move(ctx.user), {}, nullptr, {}};
    audit_request(answered, false);  // a failed login here too
  } else if (!conn.stream || res.headers_sent()) {
    res.finish();  // (a stream that has not written its head writes it later)
  }
  conn.send(bytes);
  if (conn.stream) {
    conn.stream->started();
  } else {
    conn.end();
  }
}

}  // namespace xr::app

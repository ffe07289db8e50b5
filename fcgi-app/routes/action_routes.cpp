#include "routes/action_routes.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actions/action.h"
#include "actions/params.h"
#include "routes/collection_routes.h"
#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "routes/list_output.h"
#include "routes/server_admin_routes.h"
#include "routes/task_wait.h"
#include "tasks/task_id.h"
#include "worker/task_signals.h"

namespace xr::app {

namespace {

constexpr size_t kMaxBody = 1 << 20;

// How a POST wants its answer: a bare ?sync is the seed's, sync=true current XO's.
enum class Mode { kAsync, kSeedSync, kXoSync };

Result<Mode> sync_mode(Context& ctx) {
  auto v = ctx.req.query_value("sync");
  if (!v) return Mode::kAsync;
  if (v->empty()) return Mode::kSeedSync;
  if (*v == "true") return Mode::kXoSync;
  if (*v == "false") return Mode::kAsync;
  FieldErrors e;
  e.add("sync", "invalid boolean value", "\"" + std::string(*v) + "\"");
  return e.status();
}

std::string json_of(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return text_of(b);
}

std::string_view str(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// {"params": <schema>} or {} (XO's description of one action).
std::string description_of(const actions::ActionSpec& a) {
  if (a.params.empty()) return "{}";
  return "{\"params\":" + std::string(a.params) + "}";
}

// XO's abort is the tasks collection's one action (not in the catalogue: it needs no runner).
constexpr std::string_view kAbort = "abort";

std::vector<std::string> action_names(std::string_view collection) {
  std::vector<std::string> out;
  if (collection == "tasks") {
    out.emplace_back(kAbort);
    return out;
  }
  for (const actions::ActionSpec* a : actions::actions_of(collection)) out.emplace_back(a->name);
  return out;
}

Status check_collection(Context& ctx, std::string_view coll) {
  if (coll == "tasks" || is_object_collection(coll)) return Status::ok();
  return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
}

Status write_listing(Context& ctx, std::string_view coll, const std::string& base) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  ListWriter out(ctx.res, options, &ctx.req);
  for (const std::string& name : action_names(coll)) {
    if (out.full()) break;
    const actions::ActionSpec* a = actions::find_action(coll, name);
    rapidjson::Document doc;
    doc.Parse(a != nullptr ? description_of(*a).c_str() : "{}");
    out.add_object(doc, base + name, filter);
  }
  out.finish();
  return Status::ok();
}

// Creates the XO task and its job for action `a` on the object `object` (cached XO JSON).
Result<tasks::Task> queue_action(Context& ctx, const actions::ActionSpec& a, const rapidjson::Value& object,
                                 const rapidjson::Value& params) {
  XR_ASSIGN_OR_RETURN(std::string pool, configured_pool_of(ctx, str(object, "$pool")));
  XR_RETURN_IF_ERROR(check_pool_writable(ctx, pool));  // a read-only server runs no action
  rapidjson::StringBuffer pb;
  JsonWriter p(pb);
  p.StartObject();
  put_kv(p, "name", "REST API: " + std::string(a.label));
  put_kv(p, "type", "xo:rest-api:action");
  put_kv(p, "objectType", a.object_type);
  put_kv(p, "objectId", str(object, "id"));
  put_kv(p, "userId", ctx.user->id);
  p.Key("params");
  p.RawValue(json_of(params).c_str(), json_of(params).size(), rapidjson::kObjectType);
  p.EndObject();
  rapidjson::StringBuffer jb;
  JsonWriter j(jb);
  j.StartObject();
  put_kv(j, "collection", a.collection);
  put_kv(j, "action", a.name);
  put_kv(j, "objectId", str(object, "id"));
  put_kv(j, "ref", str(object, "_xapiRef"));
  put_kv(j, "pool", pool);
  j.Key("params");
  j.RawValue(json_of(params).c_str(), json_of(params).size(), rapidjson::kObjectType);
  j.EndObject();
  return ctx.svc.tasks->create({ctx.user->id, text_of(pb), text_of(jb)});
}

bool wants_text(const Context& ctx) {
  const std::string_view accept = ctx.req.param("HTTP_ACCEPT");
  return accept.find("text/plain") != std::string_view::npos &&
         accept.find("application/json") == std::string_view::npos;
}

// The async answer: current XO's 202 {"taskId"} + Location, or the legacy plain-text href.
void send_queued(Context& ctx, const std::string& task_id) {
  const std::string href = "/rest/v0/tasks/" + task_id;
  if (wants_text(ctx)) {
    ctx.res.send(202, "text/plain; charset=utf-8", href);
    return;
  }
  ctx.res.add_header("Location", href);
  ctx.res.send(202, "application/json; charset=utf-8", "{\"taskId\":\"" + task_id + "\"}");
}

// The wait of a sync POST: until the task ends, answered as the seed (bare ?sync) or XO.
TaskWaitSpec sync_wait(const actions::ActionSpec& a, Mode mode, const std::string& task_id) {
  TaskWaitSpec spec;
  spec.task_id = task_id;
  spec.answer = mode == Mode::kSeedSync ? TaskWaitSpec::Answer::kSeedSync : TaskWaitSpec::Answer::kXoSync;
  spec.new_object = a.returns == actions::Returns::kNewObject;
  spec.created = std::string(a.created_collection);
  return spec;
}

Result<rapidjson::Document> read_json_body(Context& ctx) {
  XR_ASSIGN_OR_RETURN(std::string body, ctx.req.read_body(kMaxBody));
  rapidjson::Document doc;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    doc.SetNull();
    return doc;
  }
  if (doc.Parse(body.c_str(), body.size()).HasParseError()) {
    return Status(ErrorKind::kInvalidArgument, "the body is not valid JSON");
  }
  return doc;
}

Result<tasks::Task> visible_task(Context& ctx) {
  const std::string& id = ctx.params[0];
  if (ctx.svc.tasks == nullptr) return Status(ErrorKind::kUnavailable, "the task store is not open");
  auto t = tasks::plausible_task_id(id) ? ctx.svc.tasks->get(id)
                                        : Result<tasks::Task>(Status(ErrorKind::kNotFound, "no such task"));
  if (!t.is_ok() && t.status().kind() != ErrorKind::kNotFound) return t.status();
  if (!t.is_ok() || (ctx.user->permission != "admin" && t->user_id != ctx.user->id)) {
    return no_such("task", id, &ctx.error_data);
  }
  return t;
}

}  // namespace

Status list_actions(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  XR_RETURN_IF_ERROR(check_collection(ctx, coll));
  const std::string& at = ctx.req.segments()[3];
  if (at != "_") {
    std::string json;
    XR_RETURN_IF_ERROR(load_object(ctx, coll, at, &json));
  }
  return write_listing(ctx, coll, "/rest/v0/" + coll + "/" + at + "/actions/");
}

Status get_action(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  XR_RETURN_IF_ERROR(check_collection(ctx, coll));
  const std::string& at = ctx.req.segments()[3];
  const std::string& name = ctx.req.segments()[5];
  const actions::ActionSpec* a = actions::find_action(coll, name);
  if (a != nullptr && a->hidden) a = nullptr;
  if (a == nullptr && !(coll == "tasks" && name == kAbort)) return no_such("action", name, &ctx.error_data);
  if (at != "_" && coll != "tasks") {
    std::string json;
    XR_RETURN_IF_ERROR(load_object(ctx, coll, at, &json));
  }
  ctx.res.send(200, "application/json; charset=utf-8", a != nullptr ? description_of(*a) : "{}");
  return Status::ok();
}

Status post_action(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  const actions::ActionSpec* a = actions::find_action(coll, ctx.req.segments()[5]);
  if (a == nullptr || ctx.svc.tasks == nullptr) return Status(ErrorKind::kInternal, "no such action here");
  XR_RETURN_IF_ERROR(sync_mode(ctx).status());  // a bad flag is refused before anything
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, coll, ctx.params[0], &json));
  rapidjson::Document object;
  object.Parse(json.c_str(), json.size());
  if (!object.IsObject()) return Status(ErrorKind::kInternal, "unreadable cached object");
  XR_ASSIGN_OR_RETURN(rapidjson::Document body, read_json_body(ctx));
  rapidjson::Document params;
  XR_RETURN_IF_ERROR(actions::validate_params(a->params, body, &params));
  return start_action(ctx, *a, object, params);
}

Status start_action(Context& ctx, const actions::ActionSpec& a, const rapidjson::Value& object,
                    const rapidjson::Value& params) {
  if (ctx.svc.tasks == nullptr) return Status(ErrorKind::kUnavailable, "the task store is not open");
  XR_ASSIGN_OR_RETURN(Mode mode, sync_mode(ctx));
  XR_ASSIGN_OR_RETURN(tasks::Task task, queue_action(ctx, a, object, params));
  if (mode == Mode::kAsync) {
    send_queued(ctx, task.id);
    return Status::ok();
  }
  return wait_for_task(ctx, sync_wait(a, mode, task.id), task);
}

Status list_task_actions(Context& ctx) {
  XR_ASSIGN_OR_RETURN(tasks::Task t, visible_task(ctx));
  ListWriter out(ctx.res, ListOptions{}, &ctx.req);
  if (t.pending()) out.add_href("/rest/v0/tasks/" + t.id + "/actions/abort");
  out.finish();
  return Status::ok();
}

Status abort_task(Context& ctx) {
  XR_ASSIGN_OR_RETURN(Mode mode, sync_mode(ctx));
  XR_ASSIGN_OR_RETURN(tasks::Task t, visible_task(ctx));
  XR_RETURN_IF_ERROR(ctx.svc.tasks->request_abort(t.id).status());
  // The runner forwards aborts when it wakes: wake it now.
  if (ctx.svc.task_signals != nullptr) ctx.svc.task_signals->job_queued();
  if (mode == Mode::kAsync) {
    send_queued(ctx, t.id);
    return Status::ok();
  }
  TaskWaitSpec spec;
  spec.task_id = t.id;
  spec.answer = mode == Mode::kSeedSync ? TaskWaitSpec::Answer::kAbortSeed : TaskWaitSpec::Answer::kAbortXo;
  XR_ASSIGN_OR_RETURN(tasks::Task now, ctx.svc.tasks->get(t.id));
  return wait_for_task(ctx, spec, now);
}

}  // namespace xr::app

#include "routes/task_routes.h"

#include <rapidjson/document.h>

#include "routes/collection_routes.h"
#include "routes/etag.h"
#include "routes/http_errors.h"
#include "routes/list_output.h"
#include "routes/task_wait.h"
#include "tasks/task_id.h"
#include "worker/task_signals.h"

namespace xr::app {

namespace {

bool is_admin(const Context& ctx) { return ctx.user && ctx.user->permission == "admin"; }

// Whose tasks the caller may see: everyone's for an admin, else its own.
std::string owner_filter(const Context& ctx) { return is_admin(ctx) ? std::string() : ctx.user->id; }

Result<tasks::TaskStore*> task_store(Context& ctx) {
  if (ctx.svc.tasks == nullptr) return Status(ErrorKind::kUnavailable, "the task store is not open");
  return ctx.svc.tasks;
}

// The task of path parameter 0 as the caller may see it; XO's 404 otherwise (another user's
// task is not revealed).
Result<tasks::Task> visible_task(Context& ctx) {
  const std::string& id = ctx.params[0];
  if (!tasks::plausible_task_id(id)) return no_such("task", id, &ctx.error_data);
  XR_ASSIGN_OR_RETURN(tasks::TaskStore * store, task_store(ctx));
  auto task = store->get(id);
  if (!task.is_ok()) {
    if (task.status().kind() == ErrorKind::kNotFound) return no_such("task", id, &ctx.error_data);
    return task.status();
  }
  if (!is_admin(ctx) && task->user_id != ctx.user->id) return no_such("task", id, &ctx.error_data);
  return task;
}

}  // namespace

// The caller's visible tasks as a collection list; only those about `object_id` when given.
Status write_task_list(Context& ctx, std::string_view object_id) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(tasks::TaskStore * store, task_store(ctx));
  // The revision the list reflects at least (read first: a change racing the list shows in
  // the list or after it), for `GET /tasks?ndjson&watch&since=<it>`.
  XR_ASSIGN_OR_RETURN(int64_t revision, store->revision());
  XR_ASSIGN_OR_RETURN(std::vector<tasks::Task> all, store->list(owner_filter(ctx)));
  if (object_id.empty()) ctx.res.add_header("X-Revision", std::to_string(revision));
  ListWriter out(ctx.res, options, &ctx.req);
  for (const tasks::Task& t : all) {
    if (out.full()) break;
    const std::string json = tasks::to_json(t);
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    if (!object_id.empty()) {
      const auto& p = doc["properties"];
      auto it = p.FindMember("objectId");
      if (it == p.MemberEnd() || !it->value.IsString() || object_id != it->value.GetString()) continue;
    }
    out.add_object(doc, "/rest/v0/tasks/" + t.id, filter);
  }
  out.finish();
  return Status::ok();
}

Status list_tasks(Context& ctx) { return write_task_list(ctx, {}); }

Status list_object_tasks(Context& ctx) {
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, ctx.req.segments()[2], ctx.params[0], &json));
  rapidjson::Document object;
  object.Parse(json.c_str(), json.size());
  if (!object.IsObject() || !object.HasMember("id") || !object["id"].IsString()) {
    return Status(ErrorKind::kInternal, "unreadable cached object");
  }
  return write_task_list(ctx, object["id"].GetString());
}

Status get_task(Context& ctx) {
  XR_ASSIGN_OR_RETURN(tasks::Task task, visible_task(ctx));
  // wait=result (seed) and wait=true (XO): until finished; any other value, bare
  // included: until its next change. wait=false: no wait.
  if (auto wait = ctx.req.query_value("wait"); wait && *wait != "false") {
    TaskWaitSpec spec;
    spec.task_id = task.id;
    if (*wait != "result" && *wait != "true") {
      spec.until = TaskWaitSpec::Until::kChange;
      spec.after_revision = task.revision;
    }
    return wait_for_task(ctx, spec, task);
  }
  send_json_with_etag(ctx, tasks::to_json(task));
  return Status::ok();
}

Status delete_task(Context& ctx) {
  XR_ASSIGN_OR_RETURN(tasks::Task task, visible_task(ctx));
  XR_ASSIGN_OR_RETURN(tasks::TaskStore * store, task_store(ctx));
  if (task.pending()) {
    // XO deletes the log of a running task; here the task is aborted (its action stops at
    // once or between steps) and deleted when it has ended: 204 then (the stream role waits).
    auto aborted = store->request_abort(task.id);
    if (aborted.is_ok()) {
      if (ctx.svc.task_signals != nullptr) ctx.svc.task_signals->job_queued();  // the runner forwards it
      TaskWaitSpec spec;
      spec.task_id = task.id;
      spec.answer = TaskWaitSpec::Answer::kDelete;
      return wait_for_task(ctx, spec, *aborted);
    }
    if (aborted.status().kind() != ErrorKind::kConflict) return aborted.status();  // else: ended meanwhile
  }
  Status s = store->remove(task.id, owner_filter(ctx));
  if (s.kind() == ErrorKind::kNotFound) return no_such("task", task.id, &ctx.error_data);
  XR_RETURN_IF_ERROR(s);
  ctx.res.send(204, "", "");
  return Status::ok();
}

Status delete_tasks(Context& ctx) {
  XR_ASSIGN_OR_RETURN(tasks::TaskStore * store, task_store(ctx));
  XR_RETURN_IF_ERROR(store->remove_finished(owner_filter(ctx)).status());
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace xr::app

#include "routes/task_wait.h"

#include <rapidjson/document.h>

#include <charconv>

#include "routes/etag.h"
#include "routes/json_text.h"
#include "tasks/task_id.h"

namespace xr::app {

namespace {

constexpr std::string_view kAnswers[] = {"task", "seed", "xo", "abort-seed", "abort-xo", "delete"};

bool plausible_collection(std::string_view c) {
  if (c.empty() || c.size() > 40) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || ch == '-')) return false;
  }
  return true;
}

}  // namespace

std::string TaskWaitSpec::query() const {
  std::string q = "task=" + task_id;
  q += until == Until::kDone ? "&until=done" : "&until=change&after=" + std::to_string(after_revision);
  q += "&answer=" + std::string(kAnswers[static_cast<int>(answer)]);
  if (new_object) q += "&created=" + created;
  return q;
}

Result<TaskWaitSpec> TaskWaitSpec::parse(const Request& req) {
  TaskWaitSpec s;
  const Status bad(ErrorKind::kInvalidArgument, "malformed wait hand-off");
  s.task_id = std::string(req.query_value("task").value_or(""));
  if (!tasks::plausible_task_id(s.task_id)) return bad;
  const std::string_view until = req.query_value("until").value_or("");
  if (until == "done") {
    s.until = Until::kDone;
  } else if (until == "change") {
    s.until = Until::kChange;
    const std::string_view after = req.query_value("after").value_or("");
    auto [p, ec] = std::from_chars(after.data(), after.data() + after.size(), s.after_revision);
    if (ec != std::errc() || p != after.data() + after.size()) return bad;
  } else {
    return bad;
  }
  const std::string_view answer = req.query_value("answer").value_or("");
  bool known = false;
  for (size_t i = 0; i < std::size(kAnswers); ++i) {
    if (kAnswers[i] == answer) {
      s.answer = static_cast<Answer>(i);
      known = true;
    }
  }
  if (!known) return bad;
  if (auto created = req.query_value("created")) {
    if (!plausible_collection(*created)) return bad;
    s.new_object = true;
    s.created = std::string(*created);
  }
  return s;
}

Status wait_for_task(Context& ctx, const TaskWaitSpec& spec, const tasks::Task& task) {
  if (spec.satisfied_by(task)) return answer_task_wait(ctx, spec, task);
  // nginx re-sends the request (as a GET, same headers) to the stream role's socket.
  ctx.res.add_header("X-Accel-Redirect", std::string(kWaitLocation) + "?" + spec.query());
  ctx.res.send(200, "text/plain", "");
  return Status::ok();
}

Status answer_task_wait(Context& ctx, const TaskWaitSpec& spec, const tasks::Task& t) {
  using Answer = TaskWaitSpec::Answer;
  switch (spec.answer) {
    case Answer::kTask:
      send_json_with_etag(ctx, tasks::to_json(t));
      return Status::ok();
    case Answer::kAbortSeed:
      ctx.res.send(200, "application/json; charset=utf-8", "");
      return Status::ok();
    case Answer::kAbortXo:
      ctx.res.send(204, "", "");
      return Status::ok();
    case Answer::kDelete:
      // In a worker the task is deleted here; the stream role deletes it through its feed
      // before answering.
      if (ctx.svc.tasks != nullptr) {
        Status s = ctx.svc.tasks->remove(t.id);
        if (!s.is_ok() && s.kind() != ErrorKind::kNotFound) return s;
      }
      ctx.res.send(204, "", "");
      return Status::ok();
    case Answer::kSeedSync:
    case Answer::kXoSync:
      break;
  }
  if (t.status != tasks::TaskStatus::kSuccess) return task_failure(t);
  // A new object's task result is {"id": "<uuid>"} (runner/job.cpp).
  const std::string result = t.result.value_or("");
  rapidjson::Document r;
  r.Parse(result.c_str(), result.size());
  const std::string id = r.IsObject() && r.HasMember("id") && r["id"].IsString() ? r["id"].GetString() : "";
  if (spec.answer == Answer::kSeedSync) {
    // The seed: the result JSON-encoded, the new uuid as a JSON string; void actions: empty.
    ctx.res.send(200, "application/json; charset=utf-8", spec.new_object ? json_string(id) : std::string());
    return Status::ok();
  }
  if (!spec.new_object) {
    ctx.res.send(204, "", "");
    return Status::ok();
  }
  ctx.res.add_header("Location", "/rest/v0/" + spec.created + "/" + id);
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":" + json_string(id) + "}");
  return Status::ok();
}

Status task_failure(const tasks::Task& task) {
  rapidjson::Document r;
  const std::string text = task.result.value_or("{}");
  r.Parse(text.c_str(), text.size());
  std::string message = "task " + std::string(tasks::status_name(task.status));
  if (r.IsObject() && r.HasMember("message") && r["message"].IsString()) message = r["message"].GetString();
  if (r.IsObject() && r.HasMember("code") && r["code"].IsString()) {
    std::vector<std::string> params;
    if (r.HasMember("params") && r["params"].IsArray()) {
      for (const auto& p : r["params"].GetArray()) params.push_back(p.IsString() ? p.GetString() : "");
    }
    return Status::xapi(r["code"].GetString(), std::move(params));
  }
  return Status(ErrorKind::kInternal, message);
}

}  // namespace xr::app

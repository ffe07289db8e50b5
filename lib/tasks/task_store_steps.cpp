// Sub-tasks: the steps of multi-step actions in a task's "tasks" array.
#include "tasks/task_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tasks/task_rows.h"

namespace xr::tasks {

using detail::from_row;
using detail::is_json;
using detail::select_sql;

Result<size_t> TaskStore::begin_subtask(std::string_view id, std::string_view name) {
  size_t index = 0;
  XR_RETURN_IF_ERROR(update(id, [&](Task& t) -> Status {
    rapidjson::Document steps;
    steps.Parse(t.subtasks.c_str(), t.subtasks.size());
    if (steps.HasParseError() || !steps.IsArray()) steps.SetArray();
    auto& a = steps.GetAllocator();
    index = steps.Size();
    const std::string step_id = t.id + "." + std::to_string(index);
    rapidjson::Value step(rapidjson::kObjectType);
    step.AddMember("id", rapidjson::Value(step_id.c_str(), a), a);
    rapidjson::Value props(rapidjson::kObjectType);
    props.AddMember("name", rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), a), a);
    step.AddMember("properties", props, a);
    step.AddMember("start", now_ms(), a);
    step.AddMember("status", "pending", a);
    steps.PushBack(step, a);
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    steps.Accept(w);
    t.subtasks.assign(b.GetString(), b.GetSize());
    return Status::ok();
  }).status());
  return index;
}

Result<Task> TaskStore::end_subtask(std::string_view id, size_t index, TaskStatus status,
                                    std::string_view result_json) {
  if (!result_json.empty() && !is_json(result_json)) {
    return Status(ErrorKind::kInvalidArgument, "sub-task result is not JSON");
  }
  return update(id, [&](Task& t) -> Status {
    rapidjson::Document steps;
    steps.Parse(t.subtasks.c_str(), t.subtasks.size());
    if (steps.HasParseError() || !steps.IsArray() || index >= steps.Size()) {
      return Status(ErrorKind::kNotFound, "no such sub-task");
    }
    auto& a = steps.GetAllocator();
    rapidjson::Value& step = steps[static_cast<rapidjson::SizeType>(index)];
    const std::string_view name = status_name(status);
    step["status"].SetString(name.data(), static_cast<rapidjson::SizeType>(name.size()), a);
    step.RemoveMember("end");
    step.AddMember("end", now_ms(), a);
    if (!result_json.empty()) {
      rapidjson::Document r;
      r.Parse(result_json.data(), result_json.size());
      step.RemoveMember("result");
      step.AddMember("result", rapidjson::Value(r, a), a);
    }
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    steps.Accept(w);
    t.subtasks.assign(b.GetString(), b.GetSize());
    return Status::ok();
  });
}

}  // namespace xr::tasks

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

namespace {

using Value = rapidjson::Value;

// Steps in the whole tree (ids are "<task>.<n>" in begin order).
size_t count_steps(const Value& list) {
  size_t n = 0;
  for (const Value& step : list.GetArray()) {
    ++n;
    auto sub = step.FindMember("tasks");
    if (sub != step.MemberEnd() && sub->value.IsArray()) n += count_steps(sub->value);
  }
  return n;
}

bool is_pending(const Value& step) {
  auto st = step.FindMember("status");
  return st != step.MemberEnd() && st->value.IsString() && std::string_view(st->value.GetString()) == "pending";
}

// The list a new step goes into: the "tasks" of the innermost pending step (XO nests a task
// begun inside another), the top level when none is pending.
Value* insertion_list(Value* list, rapidjson::Document::AllocatorType& a) {
  for (;;) {
    Value* open = nullptr;
    for (Value& step : list->GetArray()) {
      if (is_pending(step)) open = &step;
    }
    if (open == nullptr) return list;
    auto sub = open->FindMember("tasks");
    if (sub == open->MemberEnd()) {
      open->AddMember("tasks", Value(rapidjson::kArrayType), a);
      sub = open->FindMember("tasks");
    }
    if (!sub->value.IsArray()) sub->value.SetArray();
    list = &sub->value;
  }
}

Value* find_step(Value& list, std::string_view id) {
  for (Value& step : list.GetArray()) {
    auto sid = step.FindMember("id");
    if (sid != step.MemberEnd() && sid->value.IsString() && std::string_view(sid->value.GetString()) == id) {
      return &step;
    }
    auto sub = step.FindMember("tasks");
    if (sub != step.MemberEnd() && sub->value.IsArray()) {
      if (Value* found = find_step(sub->value, id)) return found;
    }
  }
  return nullptr;
}

std::string text_of(const rapidjson::Document& d) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  d.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

Result<size_t> TaskStore::begin_subtask(std::string_view id, std::string_view name,
                                        std::string_view properties_json) {
  rapidjson::Document extra;
  if (!properties_json.empty()) {
    extra.Parse(properties_json.data(), properties_json.size());
    if (extra.HasParseError() || !extra.IsObject()) {
      return Status(ErrorKind::kInvalidArgument, "sub-task properties must be a JSON object");
    }
  }
  size_t index = 0;
  XR_RETURN_IF_ERROR(update(id, [&](Task& t) -> Status {
    rapidjson::Document steps;
    steps.Parse(t.subtasks.c_str(), t.subtasks.size());
    if (steps.HasParseError() || !steps.IsArray()) steps.SetArray();
    auto& a = steps.GetAllocator();
    index = count_steps(steps);
    const std::string step_id = t.id + "." + std::to_string(index);
    Value step(rapidjson::kObjectType);
    step.AddMember("id", Value(step_id.c_str(), a), a);
    Value props(rapidjson::kObjectType);
    props.AddMember("name", Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), a), a);
    if (extra.IsObject()) {
      for (auto& m : extra.GetObject()) {
        if (std::string_view(m.name.GetString()) == "name") continue;
        props.AddMember(Value(m.name, a), Value(m.value, a), a);
      }
    }
    step.AddMember("properties", props, a);
    step.AddMember("start", now_ms(), a);
    step.AddMember("status", "pending", a);
    insertion_list(&steps, a)->PushBack(step, a);
    t.subtasks = text_of(steps);
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
    Value* step = steps.HasParseError() || !steps.IsArray()
                      ? nullptr
                      : find_step(steps, t.id + "." + std::to_string(index));
    if (step == nullptr) return Status(ErrorKind::kNotFound, "no such sub-task");
    auto& a = steps.GetAllocator();
    const std::string_view name = status_name(status);
    (*step)["status"].SetString(name.data(), static_cast<rapidjson::SizeType>(name.size()), a);
    step->RemoveMember("end");
    step->AddMember("end", now_ms(), a);
    if (!result_json.empty()) {
      rapidjson::Document r;
      r.Parse(result_json.data(), result_json.size());
      step->RemoveMember("result");
      step->AddMember("result", Value(r, a), a);
    }
    t.subtasks = text_of(steps);
    return Status::ok();
  });
}

}  // namespace xr::tasks

#include "tasks/task.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace xr::tasks {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put_str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// Stored JSON texts are written by this component only, so they are inserted raw.
void put_raw(Writer& w, const char* key, std::string_view json) {
  w.Key(key);
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

bool empty_array(std::string_view json) { return json.empty() || json == "[]"; }

}  // namespace

std::string_view status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::kPending: return "pending";
    case TaskStatus::kSuccess: return "success";
    case TaskStatus::kFailure: return "failure";
    case TaskStatus::kInterrupted: return "interrupted";
  }
  return "pending";
}

std::optional<TaskStatus> parse_status(std::string_view name) {
  for (TaskStatus s : {TaskStatus::kPending, TaskStatus::kSuccess, TaskStatus::kFailure,
                       TaskStatus::kInterrupted}) {
    if (status_name(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view job_state_name(JobState s) {
  switch (s) {
    case JobState::kNone: return "";
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
  }
  return "";
}

JobState parse_job_state(std::string_view name) {
  if (name == "queued") return JobState::kQueued;
  if (name == "running") return JobState::kRunning;
  if (name == "done") return JobState::kDone;
  return JobState::kNone;
}

std::string to_json(const Task& t) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("id");
  put_str(w, t.id);
  put_raw(w, "properties", t.properties);
  w.Key("start");
  w.Int64(t.start);
  w.Key("status");
  put_str(w, status_name(t.status));
  w.Key("updatedAt");
  w.Int64(t.updated_at);
  if (t.end) {
    w.Key("end");
    w.Int64(*t.end);
  }
  if (t.progress) {
    w.Key("progress");
    w.Int64(*t.progress);
  }
  if (t.abortion_requested_at) {
    w.Key("abortionRequestedAt");
    w.Int64(*t.abortion_requested_at);
  }
  if (!empty_array(t.infos)) put_raw(w, "infos", t.infos);
  if (!empty_array(t.warnings)) put_raw(w, "warnings", t.warnings);
  if (!empty_array(t.subtasks)) put_raw(w, "tasks", t.subtasks);
  if (t.result) put_raw(w, "result", *t.result);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::string error_json(std::string_view message, std::string_view code,
                       const std::string* params_json) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  if (!code.empty()) {
    w.Key("code");
    put_str(w, code);
    if (params_json != nullptr) put_raw(w, "params", *params_json);
  }
  w.Key("message");
  put_str(w, message);
  w.Key("name");
  put_str(w, code.empty() ? "Error" : "XapiError");
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace xr::tasks

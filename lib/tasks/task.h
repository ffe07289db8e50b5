// An XO task record (reference §c.11): what /rest/v0/tasks lists, plus the job the runner
// executes for it. Plain data and its JSON form; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xr::tasks {

enum class TaskStatus { kPending, kSuccess, kFailure, kInterrupted };

// "pending" | "success" | "failure" | "interrupted" (XO's words).
std::string_view status_name(TaskStatus s);
std::optional<TaskStatus> parse_status(std::string_view name);

// Where a task's job is (tasks without a job, e.g. other rooms' bookkeeping, are kNone).
enum class JobState { kNone, kQueued, kRunning, kDone };
std::string_view job_state_name(JobState s);
JobState parse_job_state(std::string_view name);

struct Task {
  std::string id;       // XO's form: 9 base-36 chars of the creation ms, '-', random suffix
  std::string user_id;  // the owner (non-admin users see their own tasks only)
  TaskStatus status = TaskStatus::kPending;
  int64_t start = 0;    // ms since the epoch
  std::optional<int64_t> end;
  int64_t updated_at = 0;
  // JSON texts, always valid JSON of the stated kind:
  std::string properties = "{}";      // object: name, type, objectType, objectId, userId, params...
  std::optional<std::string> result;  // any JSON (success value, or a serialized error)
  std::string infos = "[]";           // array of {message, data}
  std::string warnings = "[]";        // array of {message, data}
  std::string subtasks = "[]";        // array of nested task objects (XO's "tasks")
  std::optional<int64_t> progress;    // percent 0..100
  std::optional<int64_t> abortion_requested_at;
  int64_t revision = 0;               // the store's change counter at this row's last change
  // The runner's part (never shown to clients):
  std::string job;                    // JSON object the executor reads ("" = no job)
  JobState job_state = JobState::kNone;

  bool pending() const { return status == TaskStatus::kPending; }
};

// The record as XO shows it: {id, properties, start, status, updatedAt, end?, result?,
// progress?, abortionRequestedAt?, infos?, warnings?, tasks?} (empty log arrays omitted).
std::string to_json(const Task& t);

// A serialized error as XO writes it in a failed task's result: {"message","name"} plus
// "code" and "params" for a XAPI failure ("name":"XapiError").
std::string error_json(std::string_view message, std::string_view code = {},
                       const std::string* params_json = nullptr);

}  // namespace xr::tasks

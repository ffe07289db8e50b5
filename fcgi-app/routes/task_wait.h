// Waiting for an XO task (?sync / sync=true actions, POST /tasks/{id}/actions/abort with a
// sync flag, GET /tasks/{id}?wait): the worker checks the request, and when the task is not
// already where the wait ends, hands the request to the stream role with nginx's
// X-Accel-Redirect to the internal location `/_xr/wait?<spec>`; the stream role's event loop
// holds it (thousands at no thread each) and writes the same answer the worker would have
// (answer_task_wait). No worker thread ever waits. Worker request thread / stream thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "routes/context.h"
#include "tasks/task.h"

namespace xr::app {

// The internal nginx location of handed-off waits (nginx/*.conf: `internal`, stream.sock).
inline constexpr std::string_view kWaitLocation = "/_xr/wait";

struct TaskWaitSpec {
  enum class Until { kDone, kChange };
  // What is answered: the task record (GET ?wait), an action's result in the seed's form
  // (bare ?sync) or current XO's (sync=true), an abort's (200 empty / 204), or a DELETE of a
  // pending task (aborted; deleted once it ended, then 204).
  enum class Answer { kTask, kSeedSync, kXoSync, kAbortSeed, kAbortXo, kDelete };
  std::string task_id;
  Until until = Until::kDone;
  int64_t after_revision = 0;  // kChange: ends at a revision above this
  Answer answer = Answer::kTask;
  bool new_object = false;     // the action creates an object (result {"id"})
  std::string created;         // its collection, for Location

  bool satisfied_by(const tasks::Task& t) const {
    return until == Until::kDone ? !t.pending() : t.revision > after_revision;
  }
  // "task=...&until=...": the query of the hand-off URI.
  std::string query() const;
  // From the query of a handed-off request; kInvalidArgument when malformed.
  static Result<TaskWaitSpec> parse(const Request& req);
};

// Answers now when `spec` is satisfied by `task` (as read by the caller), else hands the
// request to the stream role. Worker request thread.
Status wait_for_task(Context& ctx, const TaskWaitSpec& spec, const tasks::Task& task);

// The answer of a wait that ended with `task` (worker or stream role).
Status answer_task_wait(Context& ctx, const TaskWaitSpec& spec, const tasks::Task& task);

// The error a failed task's result stands for: a XAPI failure keeps its code and params
// (HTTP 500 with them in "data"), anything else is its message.
Status task_failure(const tasks::Task& task);

}  // namespace xr::app

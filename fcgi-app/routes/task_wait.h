// Waiting in a request for an XO task to change or finish (?sync actions, GET /tasks/{id}?wait):
// a futex wait on ControlBlock.tasks_changed, re-reading the task at each wake-up, ended early
// when the client goes away. A waiting request holds its worker thread, so at most half of a
// worker's threads may wait at once (503 beyond). Worker request thread.
#pragma once

#include <functional>
#include <string>

#include "routes/context.h"
#include "tasks/task.h"

namespace xr::app {

// Re-reads task `id` until `done(task)`; kCancelled when the client went away,
// kUnavailable when too many requests of this process already wait.
Result<tasks::Task> wait_for_task(Context& ctx, const std::string& id,
                                  const std::function<bool(const tasks::Task&)>& done);

// The error a failed task's result stands for: a XAPI failure keeps its code and params
// (HTTP 500 with them in "data"), anything else is its message.
Status task_failure(const tasks::Task& task);

}  // namespace xr::app

// Waiting for XAPI tasks: event.from on "task/<ref>" (no polling loop), result decoded
// from its XML-RPC fragment, failures as the typed XAPI error. Blocking; thread-safe
// through Session.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "xapi/session.h"

namespace xr::xapi {

struct TaskWaitOptions {
  long timeout_ms = 3'600'000;    // overall deadline
  double event_timeout_s = 30.0;  // one event.from wait
  const std::atomic<bool>* cancel = nullptr;
  // Called on the waiting thread with the task's `progress` (0..1) from each record seen
  // while it is pending (the first read included).
  std::function<void(double)> on_progress;
};

// Blocks until the task leaves "pending". success → its decoded result ("" when empty);
// failure → Status::xapi(error_info...); cancelled → Status::xapi("TASK_CANCELLED", ...)
// (kXapi); the task vanishing → kNotFound; deadline → kTimeout; `cancel` → kCancelled.
Result<Value> wait_task(Session& session, std::string_view task_ref,
                        const TaskWaitOptions& options = {});

// The outcome of a task record: its decoded result or typed error once finished,
// kConflict "task pending" while it runs.
Result<Value> task_outcome(const Value& record);

Status cancel_task(Session& session, std::string_view task_ref);
Status destroy_task(Session& session, std::string_view task_ref);
Result<std::string> create_task(Session& session, std::string_view label);

}  // namespace xr::xapi

#include "xapi/task_waiter.h"

#include <chrono>

#include "xapi/xmlrpc_reader.h"

namespace xr::xapi {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

Result<Value> task_outcome(const Value& record) {
  std::string_view status = record.get_string("status");
  if (status == "pending" || status == "cancelling")
    return Status(ErrorKind::kConflict, "task pending");
  if (status == "success") return xmlrpc_decode_value(record.get_string("result"));
  if (status == "failure" || status == "cancelled") {
    const Value* info = record.get("error_info");
    if (info && info->is_array() && !(*info->as_array())->empty()) return xapi_failure_from(*info);
    return Status::xapi(status == "cancelled" ? "TASK_CANCELLED" : "INTERNAL_ERROR",
                        {"task " + std::string(status)});
  }
  return Status(ErrorKind::kProtocol, "task has unknown status \"" + std::string(status) + "\"");
}

static void report_progress(const Value& record, const TaskWaitOptions& options) {
  if (!options.on_progress) return;
  const Value* p = record.get("progress");
  if (p == nullptr) return;
  auto v = p->as_double();
  if (v.is_ok()) options.on_progress(*v);
}

// Scans one event.from result for the task's record. Returns true when finished.
static Result<bool> scan_batch(const Value& result, std::string_view ref, Result<Value>* out,
                               const TaskWaitOptions& options) {
  const Value* events = result.get("events");
  if (!events || !events->is_array())
    return Status(ErrorKind::kProtocol, "event.from without events");
  for (const Value& ev : **events->as_array()) {
    if (ev.get_string("ref") != ref) continue;
    if (ev.get_string("operation") == "del") {
      *out = Status(ErrorKind::kNotFound, "task destroyed before completion");
      return true;
    }
    const Value* snap = ev.get("snapshot");
    if (!snap) continue;
    Result<Value> outcome = task_outcome(*snap);
    if (!outcome.is_ok() && outcome.status().kind() == ErrorKind::kConflict) {
      report_progress(*snap, options);
      continue;
    }
    *out = std::move(outcome);
    return true;
  }
  return false;
}

Result<Value> wait_task(Session& session, std::string_view task_ref,
                        const TaskWaitOptions& options) {
  auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  // The current state first: the task may have finished already (and events are only
  // about changes after the token).
  XR_ASSIGN_OR_RETURN(Value record,
                      session.call("task.get_record", {Value::string(std::string(task_ref))}));
  Result<Value> outcome = task_outcome(record);
  if (outcome.is_ok() || outcome.status().kind() != ErrorKind::kConflict) return outcome;
  report_progress(record, options);
  std::vector<Value> classes = {Value::string("task/" + std::string(task_ref))};
  std::string token;
  uint64_t generation = session.generation();
  for (;;) {
    if (options.cancel && options.cancel->load())
      return Status(ErrorKind::kCancelled, "task wait cancelled");
    auto left = std::chrono::duration<double>(deadline - Clock::now()).count();
    if (left <= 0) return Status(ErrorKind::kTimeout, "task did not finish in time");
    double wait_s = std::min(left, options.event_timeout_s);
    CallOptions call;
    call.timeout_ms = static_cast<long>(wait_s * 1000) + 15'000;
    call.cancel = options.cancel;
    Result<Value> r = session.call(
        "event.from", {Value::array(classes), Value::string(token), Value::real(wait_s)}, call);
    if (!r.is_ok()) return r.status();
    if (session.generation() != generation) {
      // A new session (toolstack restart?): tasks may be gone; re-check the record.
      generation = session.generation();
      token.clear();
      XR_ASSIGN_OR_RETURN(Value again,
                          session.call("task.get_record", {Value::string(std::string(task_ref))}));
      Result<Value> now = task_outcome(again);
      if (now.is_ok() || now.status().kind() != ErrorKind::kConflict) return now;
      continue;
    }
    Result<Value> result = Status(ErrorKind::kInternal, "unset");
    XR_ASSIGN_OR_RETURN(bool done, scan_batch(*r, task_ref, &result, options));
    if (done) return result;
    token = std::string(r->get_string("token"));
  }
}

Status cancel_task(Session& session, std::string_view task_ref) {
  return session.call("task.cancel", {Value::string(std::string(task_ref))}).status();
}

Status destroy_task(Session& session, std::string_view task_ref) {
  return session.call("task.destroy", {Value::string(std::string(task_ref))}).status();
}

Result<std::string> create_task(Session& session, std::string_view label) {
  XR_ASSIGN_OR_RETURN(
      Value v, session.call("task.create", {Value::string(std::string(label)), Value::string("")}));
  XR_ASSIGN_OR_RETURN(std::string_view ref, v.as_string());
  return std::string(ref);
}

}  // namespace xr::xapi

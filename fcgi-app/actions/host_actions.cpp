#include "actions/host_actions.h"

#include <chrono>

#include "actions/steps.h"

namespace xr::app::actions {

namespace {

using namespace std::chrono_literals;
using steps::str;
using xapi::Value;

Status disable(ActionRun& run, const std::string& host, bool transient) {
  std::vector<Value> args = {str(host)};
  if (!transient) args.push_back(Value::boolean(false));  // auto_enable=false (xapi ≥ 25.31)
  Status s = run.call("host.disable", args).status();
  if (!transient && s.kind() == ErrorKind::kXapi && s.code() == "MESSAGE_PARAMETER_COUNT_MISMATCH") {
    s = run.call("host.disable", {str(host)}).status();  // older xapi: one parameter
  }
  return s;
}

// The resident guests of a host (no control domain).
Result<std::vector<std::string>> guests_of(ActionRun& run, const std::string& host) {
  XR_ASSIGN_OR_RETURN(Value h, steps::record(run, "host", host));
  std::vector<std::string> out;
  for (const std::string& vm : steps::refs_in(h, "resident_VMs")) {
    XR_ASSIGN_OR_RETURN(Value dom0, run.call("VM.get_is_control_domain", {str(vm)}));
    XR_ASSIGN_OR_RETURN(bool is_dom0, dom0.as_bool());
    if (!is_dom0) out.push_back(vm);
  }
  return out;
}

}  // namespace

Status clear_host(ActionRun& run, const std::string& host, bool force, bool transient) {
  XR_RETURN_IF_ERROR(disable(run, host, transient));
  Status s = run.call_async("host.evacuate", {str(host)}).status();
  if (s.is_ok() || force) return Status::ok();
  (void)run.call("host.enable", {str(host)});
  return s;
}

Result<std::string> host_disable(ActionRun& run) {
  // XO: autoEnable (default false) = a transient disable; evacuate: clearHost(force)
  const bool transient = steps::param_bool(run, "autoEnable", false);
  if (!steps::param_bool(run, "evacuate", false)) {
    XR_RETURN_IF_ERROR(disable(run, run.object_ref(), transient));
    return std::string();
  }
  XR_RETURN_IF_ERROR(clear_host(run, run.object_ref(), steps::param_bool(run, "force", false), transient));
  return std::string();
}

Result<std::string> host_enable(ActionRun& run) {
  XR_RETURN_IF_ERROR(run.call("host.enable", {str(run.object_ref())}).status());
  return std::string();
}

Result<std::string> host_start(ActionRun& run) {
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "host.power_on"));
  return std::string();
}

Result<std::string> host_clean_shutdown(ActionRun& run) {
  if (steps::param_bool(run, "bypassEvacuate", false)) {
    XR_RETURN_IF_ERROR(run.call("host.disable", {str(run.object_ref())}).status());
  } else {
    XR_RETURN_IF_ERROR(clear_host(run, run.object_ref(), false));
  }
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "host.shutdown"));
  return std::string();
}

Result<std::string> host_clean_reboot(ActionRun& run) {
  XR_RETURN_IF_ERROR(clear_host(run, run.object_ref(), steps::param_bool(run, "force", false)));
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "host.reboot"));
  return std::string();
}

// xo-server's smartReboot: suspend what runs here (shut down what cannot be suspended),
// reboot, wait for the agent, resume what was suspended.
Result<std::string> host_smart_reboot(ActionRun& run) {
  const std::string host = run.object_ref();
  XR_RETURN_IF_ERROR(run.call_async("host.disable", {str(host)}).status());
  XR_ASSIGN_OR_RETURN(std::vector<std::string> guests, guests_of(run, host));
  std::vector<std::string> blocked;
  for (const std::string& vm : guests) {
    XR_ASSIGN_OR_RETURN(Value rec, steps::record(run, "VM", vm));
    const std::string state(rec.get_string("power_state"));
    if (state == "Halted" || state == "Suspended") continue;
    const Value* bo = rec.get("blocked_operations");
    const bool suspend_blocked = bo != nullptr && bo->get("suspend") != nullptr;
    const bool valid = run.call("VM.assert_operation_valid", {str(vm), str("suspend")}).is_ok();
    if (suspend_blocked || !valid) blocked.push_back(std::string(rec.get_string("uuid")));
  }
  if (!blocked.empty() && !steps::param_bool(run, "bypassBlockedSuspend", false)) {
    (void)run.call_async("host.enable", {str(host)});
    std::string list;
    for (const std::string& u : blocked) list += (list.empty() ? "" : ", ") + u;
    return Status(ErrorKind::kConflict, "incorrect state: VMs that cannot be suspended: " + list);
  }
  std::vector<std::string> suspended;
  for (const std::string& vm : guests) {
    Status s = run.call_async("VM.suspend", {str(vm)}).status();
    if (s.is_ok()) {
      suspended.push_back(vm);
      continue;
    }
    if (s.kind() == ErrorKind::kXapi && s.code() == "OPERATION_NOT_ALLOWED") continue;
    if (s.kind() == ErrorKind::kXapi && s.code() == "VM_BAD_POWER_STATE" && s.params().size() > 2 &&
        (s.params()[2] == "halted" || s.params()[2] == "suspended")) {
      continue;
    }
    if (!run.call_async("VM.clean_shutdown", {str(vm)}).is_ok()) {
      XR_RETURN_IF_ERROR(run.call_async("VM.hard_shutdown", {str(vm)}).status());
    }
  }
  XR_ASSIGN_OR_RETURN(double before, steps::agent_start_time(run, host));
  Status rebooted = steps::void_on_object(run, "host.reboot");
  if (rebooted.is_ok()) rebooted = steps::wait_host_back(run, host, before, 20min);
  if (!rebooted.is_ok()) (void)run.call_async("host.enable", {str(host)});
  for (const std::string& vm : suspended) {
    Status s = run.call_async("VM.resume", {str(vm), Value::boolean(false), Value::boolean(true)}).status();
    if (!s.is_ok()) (void)run.info("could not resume a VM", "{\"error\":\"" + s.code() + "\"}");
  }
  XR_RETURN_IF_ERROR(rebooted);
  return std::string();
}

Result<std::string> host_restart_toolstack(ActionRun& run) {
  const std::string host = run.object_ref();
  XR_ASSIGN_OR_RETURN(double before, steps::agent_start_time(run, host));
  XR_RETURN_IF_ERROR(run.call("host.restart_agent", {str(host)}).status());
  XR_RETURN_IF_ERROR(steps::wait_until(
      run,
      [&]() -> Result<bool> {
        XR_ASSIGN_OR_RETURN(double now, steps::agent_start_time(run, host));
        return now > before;
      },
      "the toolstack to restart", 10min));
  return std::string();
}

Result<std::string> host_emergency_shutdown(ActionRun& run) {
  const std::string host = run.object_ref();
  XR_RETURN_IF_ERROR(run.call("host.disable", {str(host)}).status());
  XR_ASSIGN_OR_RETURN(std::vector<std::string> guests, guests_of(run, host));
  for (const std::string& vm : guests) {
    (void)run.call_async("VM.suspend", {str(vm)});  // errors ignored, as XO
  }
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "host.shutdown"));
  return std::string();
}

Result<std::string> host_detach(ActionRun& run) {
  XR_RETURN_IF_ERROR(run.call("pool.eject", {str(run.object_ref())}).status());
  return std::string();
}

Result<std::string> host_forget(ActionRun& run) {
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "host.destroy"));
  return std::string();
}

Result<std::string> host_scan_pifs(ActionRun& run) {
  XR_RETURN_IF_ERROR(steps::void_on_object(run, "PIF.scan"));
  return std::string();
}

Result<std::string> host_management_reconfigure(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string pif, steps::ref_of(run, "PIF", steps::param_string(run, "pif")));
  XR_ASSIGN_OR_RETURN(std::string pif_host, steps::call_string(run, "PIF.get_host", {str(pif)}));
  if (pif_host != run.object_ref()) {
    return Status(ErrorKind::kInvalidParameters, "the PIF " + steps::param_string(run, "pif") +
                                                     " does not belong to host " + run.object_id());
  }
  XR_RETURN_IF_ERROR(run.call_async("host.management_reconfigure", {str(pif)}).status());
  return std::string();
}

}  // namespace xr::app::actions

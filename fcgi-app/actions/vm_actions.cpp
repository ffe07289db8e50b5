#include "actions/vm_actions.h"

namespace xr::app::actions {

namespace {

using xapi::Value;

Value ref_value(const std::string& ref) { return Value::string(ref); }

std::string param_string(ActionRun& run, const char* name) {
  auto it = run.params().FindMember(name);
  if (it == run.params().MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

Result<std::string> string_of(Result<Value> v) {
  if (!v.is_ok()) return v.status();
  XR_ASSIGN_OR_RETURN(std::string_view s, v->as_string());
  return std::string(s);
}

// VM.<method>(vm) as an XAPI task; nothing returned.
Result<std::string> vm_void(ActionRun& run, std::string_view method, std::vector<Value> extra = {}) {
  std::vector<Value> args = {ref_value(run.object_ref())};
  for (Value& v : extra) args.push_back(std::move(v));
  XR_RETURN_IF_ERROR(run.call_async(method, std::move(args)).status());
  return std::string();
}

// The new VM's uuid as a JSON string, from the ref an XAPI task returned.
Result<std::string> uuid_json(ActionRun& run, const Value& ref) {
  XR_ASSIGN_OR_RETURN(std::string_view r, ref.as_string());
  XR_ASSIGN_OR_RETURN(std::string uuid, string_of(run.call("VM.get_uuid", {Value::string(std::string(r))})));
  return "\"" + uuid + "\"";
}

// The name a copy gets when none is given: the VM's own (XO's default for snapshots).
Result<std::string> name_or_default(ActionRun& run, const std::string& asked) {
  if (!asked.empty()) return asked;
  return string_of(run.call("VM.get_name_label", {ref_value(run.object_ref())}));
}

// The VM's disks whose VDI is tagged [NOSNAP] in its name, as XO leaves them out.
Result<std::vector<Value>> nosnap_vdis(ActionRun& run) {
  std::vector<Value> out;
  XR_ASSIGN_OR_RETURN(Value vbds, run.call("VM.get_VBDs", {ref_value(run.object_ref())}));
  XR_ASSIGN_OR_RETURN(const auto* list, vbds.as_array());
  for (const Value& vbd : *list) {
    XR_ASSIGN_OR_RETURN(std::string vdi, string_of(run.call("VBD.get_VDI", {vbd})));
    if (vdi == "OpaqueRef:NULL") continue;
    XR_ASSIGN_OR_RETURN(std::string name, string_of(run.call("VDI.get_name_label", {Value::string(vdi)})));
    if (name.find("[NOSNAP]") != std::string::npos) out.push_back(Value::string(vdi));
  }
  return out;
}

}  // namespace

Result<std::string> vm_start(ActionRun& run) {
  const std::string host_id = param_string(run, "hostId");
  if (host_id.empty()) return vm_void(run, "VM.start", {Value::boolean(false), Value::boolean(false)});
  XR_ASSIGN_OR_RETURN(std::string host, string_of(run.call("host.get_by_uuid", {Value::string(host_id)})));
  return vm_void(run, "VM.start_on", {Value::string(host), Value::boolean(false), Value::boolean(false)});
}

Result<std::string> vm_clean_shutdown(ActionRun& run) { return vm_void(run, "VM.clean_shutdown"); }
Result<std::string> vm_hard_shutdown(ActionRun& run) { return vm_void(run, "VM.hard_shutdown"); }
Result<std::string> vm_clean_reboot(ActionRun& run) { return vm_void(run, "VM.clean_reboot"); }
Result<std::string> vm_hard_reboot(ActionRun& run) { return vm_void(run, "VM.hard_reboot"); }
Result<std::string> vm_pause(ActionRun& run) { return vm_void(run, "VM.pause"); }
Result<std::string> vm_unpause(ActionRun& run) { return vm_void(run, "VM.unpause"); }
Result<std::string> vm_suspend(ActionRun& run) { return vm_void(run, "VM.suspend"); }
Result<std::string> vm_resume(ActionRun& run) {
  return vm_void(run, "VM.resume", {Value::boolean(false), Value::boolean(false)});
}

Result<std::string> vm_snapshot(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string name, name_or_default(run, param_string(run, "name_label")));
  XR_ASSIGN_OR_RETURN(std::vector<Value> ignore, nosnap_vdis(run));
  std::vector<Value> args = {ref_value(run.object_ref()), Value::string(name)};
  if (!ignore.empty()) {
    XR_RETURN_IF_ERROR(run.info("disks tagged [NOSNAP] are left out", "{}"));
    args.push_back(Value::array(std::move(ignore)));
  }
  XR_ASSIGN_OR_RETURN(Value ref, run.call_async("VM.snapshot", std::move(args)));
  return uuid_json(run, ref);
}

Result<std::string> vm_clone(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string name, name_or_default(run, param_string(run, "name_label")));
  auto fast = run.params().FindMember("fast");
  const bool is_fast = fast == run.params().MemberEnd() || !fast->value.IsBool() || fast->value.GetBool();
  const std::string sr_id = param_string(run, "srId");
  Value ref;
  if (!sr_id.empty()) {
    XR_ASSIGN_OR_RETURN(std::string sr, string_of(run.call("SR.get_by_uuid", {Value::string(sr_id)})));
    XR_ASSIGN_OR_RETURN(ref, run.call_async("VM.copy", {ref_value(run.object_ref()), Value::string(name),
                                                        Value::string(sr)}));
  } else if (is_fast) {
    XR_ASSIGN_OR_RETURN(ref, run.call_async("VM.clone", {ref_value(run.object_ref()), Value::string(name)}));
  } else {
    XR_ASSIGN_OR_RETURN(ref, run.call_async("VM.copy", {ref_value(run.object_ref()), Value::string(name),
                                                        Value::string("OpaqueRef:NULL")}));
  }
  return uuid_json(run, ref);
}

}  // namespace xr::app::actions

#include "actions/storage_actions.h"

#include <regex>

#include "actions/steps.h"

namespace xr::app::actions {

namespace {

using steps::is_true;
using steps::kNull;
using steps::str;
using xapi::Value;

Result<std::string> done(Status s) {
  if (!s.is_ok()) return s;
  return std::string();
}

}  // namespace

Result<std::string> sr_scan(ActionRun& run) { return done(steps::void_on_object(run, "SR.scan")); }

// xo-server's SR reclaimSpace: the trim plugin on the master; its error document (errcode,
// errmsg) becomes the failure.
Result<std::string> sr_reclaim_space(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string pool, steps::the_pool(run));
  XR_ASSIGN_OR_RETURN(std::string master, steps::call_string(run, "pool.get_master", {str(pool)}));
  Value args = Value::structure();
  args.add_member("sr_uuid", str(run.object_id()));
  XR_ASSIGN_OR_RETURN(Value out, run.call_async("host.call_plugin", {str(master), str("trim"), str("do_trim"), args}));
  auto text = out.as_string();
  if (text.is_ok()) {
    static const std::regex kError("<key>errcode</key><value>(.*?)</value>.*<key>errmsg</key><value>(.*?)</value>");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(text->begin(), text->end(), m, kError)) {
      return Status::xapi(m[1].str(), {m[2].str()});
    }
  }
  return std::string();
}

Result<std::string> sr_forget(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(Value pbds, run.call("SR.get_PBDs", {str(run.object_ref())}));
  XR_ASSIGN_OR_RETURN(const Value::Array* list, pbds.as_array());
  for (const Value& pbd : *list) XR_RETURN_IF_ERROR(run.call_async("PBD.unplug", {pbd}).status());
  return done(run.call("SR.forget", {str(run.object_ref())}).status());
}

Result<std::string> pbd_plug(ActionRun& run) { return done(steps::void_on_object(run, "PBD.plug")); }
Result<std::string> pbd_unplug(ActionRun& run) { return done(steps::void_on_object(run, "PBD.unplug")); }
Result<std::string> vbd_connect(ActionRun& run) { return done(steps::void_on_object(run, "VBD.plug")); }
Result<std::string> vbd_disconnect(ActionRun& run) { return done(steps::void_on_object(run, "VBD.unplug")); }
Result<std::string> vif_connect(ActionRun& run) { return done(steps::void_on_object(run, "VIF.plug")); }
Result<std::string> vif_disconnect(ActionRun& run) { return done(steps::void_on_object(run, "VIF.unplug_force")); }

// xo-server's moveVdi: VDI.pool_migrate; when XAPI cannot (no running VM behind the disk,
// ...), a copy to the SR, the VBDs re-created on the copy, the original destroyed.
Result<std::string> vdi_migrate(ActionRun& run) {
  const std::string vdi = run.object_ref();
  XR_ASSIGN_OR_RETURN(std::string sr, steps::ref_of(run, "SR", steps::param_string(run, "srId")));
  XR_ASSIGN_OR_RETURN(std::string current_sr, steps::call_string(run, "VDI.get_SR", {str(vdi)}));
  std::string result_ref = vdi;
  if (current_sr != sr) {
    Value opts = Value::structure();
    Result<Value> moved = run.call_async("VDI.pool_migrate", {str(vdi), str(sr), opts});
    if (moved.is_ok()) {
      XR_ASSIGN_OR_RETURN(std::string_view r, moved->as_string());
      result_ref = std::string(r);
    } else {
      const Status& s = moved.status();
      if (s.kind() != ErrorKind::kXapi ||
          (s.code() != "NO_HOSTS_AVAILABLE" && s.code() != "LICENCE_RESTRICTION" &&
           s.code() != "VDI_NEEDS_VM_FOR_MIGRATE")) {
        return s;
      }
      XR_RETURN_IF_ERROR(run.info("VDI.pool_migrate refused (" + s.code() + "): copying the disk instead"));
      XR_ASSIGN_OR_RETURN(Value copy, run.call_async("VDI.copy", {str(vdi), str(sr)}));
      XR_ASSIGN_OR_RETURN(std::string_view copy_ref, copy.as_string());
      XR_ASSIGN_OR_RETURN(Value vbds, run.call("VDI.get_VBDs", {str(vdi)}));
      XR_ASSIGN_OR_RETURN(const Value::Array* list, vbds.as_array());
      for (const Value& vbd : *list) {
        XR_ASSIGN_OR_RETURN(Value rec, run.call("VBD.get_record", {vbd}));
        Value fresh = Value::structure();
        for (const char* f : {"VM", "userdevice", "bootable", "mode", "type", "unpluggable", "empty",
                              "other_config", "qos_algorithm_type", "qos_algorithm_params"}) {
          if (const Value* v = rec.get(f)) fresh.add_member(f, *v);
        }
        fresh.add_member("VDI", str(std::string(copy_ref)));
        XR_RETURN_IF_ERROR(run.call("VBD.destroy", {vbd}).status());
        XR_RETURN_IF_ERROR(run.call("VBD.create", {fresh}).status());
      }
      XR_RETURN_IF_ERROR(run.call_async("VDI.destroy", {str(vdi)}).status());
      result_ref = std::string(copy_ref);
    }
  }
  if (result_ref == kNull) return Status(ErrorKind::kProtocol, "VDI migration returned no VDI");
  XR_ASSIGN_OR_RETURN(std::string uuid, steps::call_string(run, "VDI.get_uuid", {str(result_ref)}));
  return "\"" + uuid + "\"";
}

}  // namespace xr::app::actions

#include "routes/delete_routes.h"

#include <string>
#include <vector>

#include "base/log.h"
#include "routes/mutation_target.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

using xapi::Value;

Result<Value> call(Context& ctx, const std::string& pool, std::string_view method, std::vector<Value> args) {
  return ctx.svc.writes->call(pool, method, std::move(args));
}

Value str(std::string_view s) { return Value::string(std::string(s)); }

// The refs of a XAPI set value (["OpaqueRef:...", ...]).
std::vector<std::string> refs_in(const Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const Value& item : **v->as_array()) {
    if (auto s = item.as_string(); s.is_ok()) out.emplace_back(*s);
  }
  return out;
}
std::vector<std::string> refs_of(const Value& record, std::string_view field) { return refs_in(record.get(field)); }

bool is_null_ref(std::string_view ref) { return ref.empty() || ref == "OpaqueRef:NULL"; }

// XO's VM_getDisks: the VDIs behind the VM's Disk VBDs (CDs and empty drives left out).
Result<std::vector<std::string>> vm_disks(Context& ctx, const std::string& pool, const Value& vm) {
  std::vector<std::string> disks;
  for (const std::string& vbd : refs_of(vm, "VBDs")) {
    XR_ASSIGN_OR_RETURN(Value rec, call(ctx, pool, "VBD.get_record", {str(vbd)}));
    const std::string vdi(rec.get_string("VDI"));
    if (rec.get_string("type") != "Disk" || is_null_ref(vdi)) continue;
    bool seen = false;
    for (const auto& d : disks) seen = seen || d == vdi;
    if (!seen) disks.push_back(vdi);
  }
  return disks;
}

// A disk still plugged into another VM (not a control domain) is kept, as XO does.
bool disk_used_elsewhere(Context& ctx, const std::string& pool, const std::string& vdi, const std::string& vm) {
  auto vbds = call(ctx, pool, "VDI.get_VBDs", {str(vdi)});
  if (!vbds.is_ok()) return false;
  for (const std::string& vbd : refs_in(&*vbds)) {
    auto other = call(ctx, pool, "VBD.get_VM", {str(vbd)});
    if (!other.is_ok()) continue;
    auto other_ref = other->as_string();
    if (!other_ref.is_ok() || *other_ref == vm) continue;
    auto dom0 = call(ctx, pool, "VM.get_is_control_domain", {*other});
    if (dom0.is_ok() && dom0->as_bool().is_ok() && !*dom0->as_bool()) return true;
  }
  return false;
}

// XO's VM_destroy without its hard shutdown (a DELETE never stops a running VM: XAPI's
// VM_BAD_POWER_STATE comes back as a 409): checks, VM.destroy, then the VM's snapshots
// and the disks no other VM uses (their failures are logged, the VM is gone).
Status destroy_vm(Context& ctx, const std::string& pool, const std::string& ref) {
  XR_ASSIGN_OR_RETURN(Value vm, call(ctx, pool, "VM.get_record", {str(ref)}));
  if (const Value* blocked = vm.get("blocked_operations"); blocked != nullptr && blocked->get("destroy")) {
    const std::string reason(blocked->get_string("destroy"));
    ctx.error_data = "{\"operation\":\"destroy\"}";
    return Status(ErrorKind::kForbidden, "forbidden operation: destroy is blocked: " +
                                             (reason == "true" ? std::string("protected from accidental deletion") : reason));
  }
  const Value* other = vm.get("other_config");
  const bool default_template = (other != nullptr && other->get_string("default_template") == "true") ||
                                (vm.get("is_default_template") && vm.get("is_default_template")->as_bool().is_ok() &&
                                 *vm.get("is_default_template")->as_bool());
  if (default_template) {
    ctx.error_data = "{\"actual\":true,\"expected\":false,\"object\":\"" + std::string(vm.get_string("uuid")) +
                     "\",\"property\":\"isDefaultTemplate\"}";
    return Status(ErrorKind::kConflict, "incorrect state");
  }
  XR_ASSIGN_OR_RETURN(std::vector<std::string> disks, vm_disks(ctx, pool, vm));
  XR_RETURN_IF_ERROR(call(ctx, pool, "VM.destroy", {str(ref)}).status());
  for (const std::string& snapshot : refs_of(vm, "snapshots")) {
    Status s = destroy_vm(ctx, pool, snapshot);
    if (!s.is_ok()) kLog.warn("DELETE VM: snapshot " + snapshot + " kept: " + s.to_string());
  }
  for (const std::string& vdi : disks) {
    if (disk_used_elsewhere(ctx, pool, vdi, ref)) continue;
    Status s = call(ctx, pool, "VDI.destroy", {str(vdi)}).status();
    if (!s.is_ok()) kLog.warn("DELETE VM: disk " + vdi + " kept: " + s.to_string());
  }
  return Status::ok();
}

bool is_vm_collection(std::string_view c) { return c == "vms" || c == "vm-snapshots" || c == "vm-templates"; }

}  // namespace

Status delete_object(Context& ctx) {
  if (ctx.svc.writes == nullptr) return Status(ErrorKind::kUnavailable, "no XAPI access in this process");
  const std::string& collection = ctx.req.segments()[2];
  Target t;
  XR_RETURN_IF_ERROR(resolve_target(ctx, collection, ctx.params[0], &t));
  XR_RETURN_IF_ERROR(check_if_match(ctx, t));
  Status done = is_vm_collection(collection)
                    ? destroy_vm(ctx, t.pool, t.ref)
                    : call(ctx, t.pool, t.xapi_class + ".destroy", {str(t.ref)}).status();
  XR_RETURN_IF_ERROR(done);
  XR_RETURN_IF_ERROR(wait_for_cache(ctx, t.pool, t.pool_ref));
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace xr::app

#include "actions/vm_migrate_actions.h"

#include <map>
#include <set>

#include "actions/steps.h"
#include "actions/vm_actions.h"

namespace xr::app::actions {

namespace {

using steps::is_true;
using steps::kNull;
using steps::str;
using xapi::Value;

// {"<uuid>": "<uuid>"} of the validated parameter `name` (absent: empty).
std::map<std::string, std::string> uuid_map(ActionRun& run, std::string_view name) {
  std::map<std::string, std::string> out;
  const rapidjson::Value* m = steps::param(run, name);
  if (m == nullptr || !m->IsObject()) return out;
  for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
    if (it->value.IsString()) out[it->name.GetString()] = it->value.GetString();
  }
  return out;
}

// xo-server's _migrateVmWithStorageMotion (within the pool): each disk goes to the SR given
// for it, else to srId, else stays on its SR when the host sees it, else to the pool's
// default SR; then migrate_receive on the host, assert_can_migrate, migrate_send.
Status storage_motion(ActionRun& run, const std::string& host, const std::string& network_given,
                      const std::string& sr_given, const std::map<std::string, std::string>& sr_by_vdi) {
  const std::string vm = run.object_ref();
  XR_ASSIGN_OR_RETURN(Value hrec, steps::record(run, "host", host));
  const std::vector<std::string> host_pbds = steps::refs_in(hrec, "PBDs");
  const std::set<std::string> pbds(host_pbds.begin(), host_pbds.end());
  std::string network = network_given;
  if (network.empty()) {
    for (const std::string& pif : steps::refs_in(hrec, "PIFs")) {
      XR_ASSIGN_OR_RETURN(Value p, steps::record(run, "PIF", pif));
      if (is_true(p.get("management"))) network = std::string(p.get_string("network"));
    }
    if (network.empty()) return Status(ErrorKind::kConflict, "the destination host has no management network");
  }
  std::string pool_sr;
  auto sr_for = [&](const Value& vdi) -> Result<std::string> {
    auto it = sr_by_vdi.find(std::string(vdi.get_string("uuid")));
    if (it != sr_by_vdi.end()) return steps::ref_of(run, "SR", it->second);
    if (!sr_given.empty()) return sr_given;
    const std::string sr(vdi.get_string("SR"));
    XR_ASSIGN_OR_RETURN(Value sr_pbds, run.call("SR.get_PBDs", {str(sr)}));
    XR_ASSIGN_OR_RETURN(const Value::Array* list, sr_pbds.as_array());
    for (const Value& p : *list) {
      auto s = p.as_string();
      if (s.is_ok() && pbds.count(std::string(*s))) return sr;
    }
    if (pool_sr.empty()) {
      XR_ASSIGN_OR_RETURN(pool_sr, steps::default_sr(run));
    }
    return pool_sr;
  };
  XR_ASSIGN_OR_RETURN(Value vmrec, steps::record(run, "VM", vm));
  std::vector<std::string> vbds = steps::refs_in(vmrec, "VBDs");
  for (const std::string& snap : steps::refs_in(vmrec, "snapshots")) {
    XR_ASSIGN_OR_RETURN(Value s, steps::record(run, "VM", snap));
    for (const std::string& b : steps::refs_in(s, "VBDs")) vbds.push_back(b);
  }
  Value vdi_map = Value::structure();
  std::set<std::string> mapped;
  for (const std::string& vbd : vbds) {
    XR_ASSIGN_OR_RETURN(Value b, steps::record(run, "VBD", vbd));
    const std::string vdi(b.get_string("VDI", kNull));
    if (b.get_string("type") != "Disk" || vdi == kNull || mapped.count(vdi)) continue;
    XR_ASSIGN_OR_RETURN(Value v, steps::record(run, "VDI", vdi));
    // a snapshot's disk follows its active disk (XAPI moves it), unless orphaned
    if (is_true(v.get("is_a_snapshot")) && v.get_string("snapshot_of", kNull) != kNull) continue;
    XR_ASSIGN_OR_RETURN(std::string sr, sr_for(v));
    vdi_map.add_member(vdi, str(sr));
    mapped.insert(vdi);
  }
  XR_ASSIGN_OR_RETURN(Value token, run.call("host.migrate_receive", {str(host), str(network), Value::structure()}));
  Value options = Value::structure();
  options.add_member("force", str("false"));
  std::vector<Value> args = {str(vm), token, Value::boolean(true), vdi_map, Value::structure(), options};
  XR_RETURN_IF_ERROR(run.call_async("VM.assert_can_migrate", args).status());
  return run.call_async("VM.migrate_send", std::move(args)).status();
}

// A call on the other pool, as a string.
Result<std::string> string_in(ActionRun& run, const std::string& pool, std::string_view method,
                              std::vector<Value> args) {
  XR_ASSIGN_OR_RETURN(Value v, run.call_in(pool, method, std::move(args)));
  XR_ASSIGN_OR_RETURN(std::string_view s, v.as_string());
  return std::string(s);
}

// xo-server's migrateVm across pools (_migrateVmWithStorageMotion with the target pool's
// connection): migrate_receive on the target host, every disk mapped (srIdByVdiId, else srId,
// else the target pool's default SR) and every VIF mapped (networkIdByVifId, else the target
// host's management network), then assert_can_migrate and migrate_send on this pool.
Status cross_pool(ActionRun& run, const std::string& pool, const std::string& host) {
  const std::string vm = run.object_ref();
  auto in_ref = [&](std::string_view cls, const std::string& uuid) {
    return string_in(run, pool, std::string(cls) + ".get_by_uuid", {str(uuid)});
  };
  XR_ASSIGN_OR_RETURN(Value hrec, run.call_in(pool, "host.get_record", {str(host)}));
  std::string mgmt_net;
  for (const std::string& pif : steps::refs_in(hrec, "PIFs")) {
    XR_ASSIGN_OR_RETURN(Value p, run.call_in(pool, "PIF.get_record", {str(pif)}));
    if (is_true(p.get("management"))) mgmt_net = std::string(p.get_string("network"));
  }
  std::string network = mgmt_net;
  if (std::string id = steps::param_string(run, "migrationNetworkId"); !id.empty()) {
    XR_ASSIGN_OR_RETURN(network, in_ref("network", id));
  }
  if (network.empty()) return Status(ErrorKind::kConflict, "the destination host has no management network");
  std::string sr_all;
  if (std::string id = steps::param_string(run, "srId"); !id.empty()) {
    XR_ASSIGN_OR_RETURN(sr_all, in_ref("SR", id));
  } else {
    XR_ASSIGN_OR_RETURN(Value pools, run.call_in(pool, "pool.get_all", {}));
    XR_ASSIGN_OR_RETURN(const Value::Array* pl, pools.as_array());
    if (pl->empty()) return Status(ErrorKind::kProtocol, "the target pool has no pool object");
    XR_ASSIGN_OR_RETURN(sr_all, string_in(run, pool, "pool.get_default_SR", {(*pl)[0]}));
  }
  const auto sr_by_vdi = uuid_map(run, "srIdByVdiId");
  const auto net_by_vif = uuid_map(run, "networkIdByVifId");

  XR_ASSIGN_OR_RETURN(Value vmrec, steps::record(run, "VM", vm));
  std::vector<std::string> vbds = steps::refs_in(vmrec, "VBDs");
  std::vector<std::string> vifs = steps::refs_in(vmrec, "VIFs");
  for (const std::string& snap : steps::refs_in(vmrec, "snapshots")) {
    XR_ASSIGN_OR_RETURN(Value sr, steps::record(run, "VM", snap));
    for (const std::string& b : steps::refs_in(sr, "VBDs")) vbds.push_back(b);
    for (const std::string& v : steps::refs_in(sr, "VIFs")) vifs.push_back(v);
  }
  Value vdi_map = Value::structure();
  std::set<std::string> seen;
  for (const std::string& vbd : vbds) {
    XR_ASSIGN_OR_RETURN(Value b, steps::record(run, "VBD", vbd));
    const std::string vdi(b.get_string("VDI", kNull));
    if (b.get_string("type") != "Disk" || vdi == kNull || !seen.insert(vdi).second) continue;
    XR_ASSIGN_OR_RETURN(Value v, steps::record(run, "VDI", vdi));
    if (is_true(v.get("is_a_snapshot")) && v.get_string("snapshot_of", kNull) != kNull) continue;
    std::string sr = sr_all;
    if (auto it = sr_by_vdi.find(std::string(v.get_string("uuid"))); it != sr_by_vdi.end()) {
      XR_ASSIGN_OR_RETURN(sr, in_ref("SR", it->second));
    }
    if (sr.empty() || sr == kNull) {
      return Status(ErrorKind::kConflict, "this operation requires a default SR on the target pool");
    }
    vdi_map.add_member(vdi, str(sr));
  }
  Value vif_map = Value::structure();
  std::set<std::string> devices;
  for (const std::string& vif : vifs) {
    XR_ASSIGN_OR_RETURN(Value v, steps::record(run, "VIF", vif));
    std::string net = mgmt_net;
    if (auto it = net_by_vif.find(std::string(v.get_string("uuid"))); it != net_by_vif.end()) {
      XR_ASSIGN_OR_RETURN(net, in_ref("network", it->second));
    }
    if (net.empty()) return Status(ErrorKind::kConflict, "no network to map VIF " + std::string(v.get_string("uuid")));
    vif_map.add_member(vif, str(net));
  }
  XR_ASSIGN_OR_RETURN(Value token, run.call_in(pool, "host.migrate_receive", {str(host), str(network), Value::structure()}));
  Value options = Value::structure();
  options.add_member("force", str("false"));
  std::vector<Value> args = {str(vm), token, Value::boolean(true), vdi_map, vif_map, options};
  XR_RETURN_IF_ERROR(run.info("cross-pool migration to pool " + pool));
  XR_RETURN_IF_ERROR(run.call_async("VM.assert_can_migrate", args).status());
  return run.call_async("VM.migrate_send", std::move(args)).status();
}

}  // namespace

Result<std::string> vm_migrate(ActionRun& run) {
  const std::string host_id = steps::param_string(run, "hostId");
  Result<std::string> here = steps::ref_of(run, "host", host_id);
  if (!here.is_ok() && here.status().kind() == ErrorKind::kXapi && here.status().code() == "UUID_INVALID") {
    for (const std::string& pool : run.other_pools()) {
      Result<std::string> there = string_in(run, pool, "host.get_by_uuid", {str(host_id)});
      if (there.is_ok()) {
        XR_RETURN_IF_ERROR(cross_pool(run, pool, *there));
        return std::string();
      }
    }
  }
  XR_ASSIGN_OR_RETURN(std::string host, std::move(here));
  std::string network, sr;
  if (std::string id = steps::param_string(run, "migrationNetworkId"); !id.empty()) {
    XR_ASSIGN_OR_RETURN(network, steps::ref_of(run, "network", id));
  }
  if (std::string id = steps::param_string(run, "srId"); !id.empty()) {
    XR_ASSIGN_OR_RETURN(sr, steps::ref_of(run, "SR", id));
  }
  const auto sr_by_vdi = uuid_map(run, "srIdByVdiId");
  const auto net_by_vif = uuid_map(run, "networkIdByVifId");
  if (!net_by_vif.empty()) {
    XR_RETURN_IF_ERROR(run.info("VIF mapping is ignored because this is an intra-pool migration"));
  }
  if (sr.empty() && sr_by_vdi.empty()) {
    Value options = Value::structure();
    options.add_member("force", str("false"));
    if (!network.empty()) options.add_member("network", str(network));
    Status s = run.call_async("VM.pool_migrate", {str(run.object_ref()), str(host), options}).status();
    if (s.is_ok()) return std::string();
    if (s.kind() != ErrorKind::kXapi || s.code() != "VM_REQUIRES_SR") return s;
    XR_RETURN_IF_ERROR(run.info("migration with storage motion"));  // XO retries this way
  }
  XR_RETURN_IF_ERROR(storage_motion(run, host, network, sr, sr_by_vdi));
  return std::string();
}

// xo-server's revertSnapshotVm + revertVm: the snapshot must be one of this VM's; with
// snapshotBefore a snapshot is taken first; after VM.revert a VM that ran at snapshot time
// is started (or resumed) again, errors ignored.
Result<std::string> vm_revert_snapshot(ActionRun& run) {
  const std::string snapshot_id = steps::param_string(run, "snapshotId");
  Result<std::string> snap = steps::ref_of(run, "VM", snapshot_id);
  std::string snap_of;
  if (snap.is_ok()) {
    XR_ASSIGN_OR_RETURN(snap_of, steps::call_string(run, "VM.get_snapshot_of", {str(*snap)}));
  }
  if (!snap.is_ok() || snap_of != run.object_ref()) {
    return Status(ErrorKind::kInvalidParameters,
                  "snapshot " + snapshot_id + " does not belong to VM " + run.object_id());
  }
  if (steps::param_bool(run, "snapshotBefore", false)) {
    XR_RETURN_IF_ERROR(vm_snapshot(run).status());
  }
  XR_RETURN_IF_ERROR(run.call_async("VM.revert", {str(*snap)}).status());
  XR_ASSIGN_OR_RETURN(Value info, run.call("VM.get_snapshot_info", {str(*snap)}));
  if (info.get_string("power-state-at-snapshot") == "Running") {
    XR_ASSIGN_OR_RETURN(std::string state, steps::call_string(run, "VM.get_power_state", {str(run.object_ref())}));
    if (state == "Halted") {
      (void)run.call_async("VM.start", {str(run.object_ref()), Value::boolean(false), Value::boolean(false)});
    } else if (state == "Suspended") {
      (void)run.call_async("VM.resume", {str(run.object_ref()), Value::boolean(false), Value::boolean(true)});
    }
  }
  return std::string();
}

}  // namespace xr::app::actions

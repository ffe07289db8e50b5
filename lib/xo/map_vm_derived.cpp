// VM fields computed from related objects: guest/VM metrics, residency and SR locality,
// tasks (reference §c.1). Everything here reads the compact ModelState only.
#include <rapidjson/document.h>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

bool is_running(const VmData& vm) {
  return vm.power_state == "Running" || vm.power_state == "Paused";
}

std::string_view pv(const GuestMetricsData& gm, std::string_view key) {
  return packed_get(gm.pv_version, key);
}

bool has_pv_version(const GuestMetricsData* gm) {
  return gm && !pv(*gm, "major").empty() && !pv(*gm, "minor").empty();
}

Value pairs_object(const StringPairs& p, JsonOut& o) {
  Value out(rapidjson::kObjectType);
  for (const auto& [k, v] : p) out.AddMember(o.make_str(k), o.make_str(v), o.alloc());
  return out;
}

void add_guest_tools(const VmData& vm, const VmMetricsData* m, const GuestMetricsData* gm,
                     JsonOut& o) {
  if (!is_running(vm) || !m) return;
  if (!has_pv_version(gm)) {
    o.boolean("xenTools", false);
  } else {
    std::string major(pv(*gm, "major")), minor(pv(*gm, "minor"));
    Value t(rapidjson::kObjectType);
    t.AddMember("major", o.make_num(std::atof(major.c_str())), o.alloc());
    t.AddMember("minor", o.make_num(std::atof(minor.c_str())), o.alloc());
    t.AddMember("version", o.make_num(std::atof((major + "." + minor).c_str())), o.alloc());
    o.value("xenTools", std::move(t));
  }
  if (!gm) return;
  bool has_pv = has_pv_version(gm);
  bool detected = gm->pv_detected.value_or(has_pv);
  o.boolean("managementAgentDetected", has_pv || gm->static_ip_feature);
  o.boolean("pvDriversDetected", detected);
  if (has_pv) {
    std::string version = std::string(pv(*gm, "major")) + "." + std::string(pv(*gm, "minor")) +
                          "." + std::string(pv(*gm, "micro")) + "-" + std::string(pv(*gm, "build"));
    o.str("pvDriversVersion", version);
  }
  if (detected) o.boolean("pvDriversUpToDate", gm->pv_up_to_date);
}

Value memory(const VmData& vm, const VmMetricsData* m, const GuestMetricsData* gm, JsonOut& o) {
  Value mem(rapidjson::kObjectType);
  Value dyn(rapidjson::kArrayType), st(rapidjson::kArrayType);
  dyn.PushBack(o.make_num(double(vm.dyn_min)), o.alloc());
  dyn.PushBack(o.make_num(double(vm.dyn_max)), o.alloc());
  st.PushBack(o.make_num(double(vm.st_min)), o.alloc());
  st.PushBack(o.make_num(double(vm.st_max)), o.alloc());
  mem.AddMember("dynamic", dyn, o.alloc());
  mem.AddMember("static", st, o.alloc());
  if (!is_running(vm)) {
    mem.AddMember("size", o.make_num(double(vm.dyn_max)), o.alloc());
  } else if (gm && !gm->mem_used.empty()) {  // JS truthiness: "0" counts as reported
    mem.AddMember("usage", o.make_num(std::atof(gm->mem_used.c_str())), o.alloc());
    mem.AddMember("size", o.make_num(std::atof(gm->mem_total.c_str())), o.alloc());
  } else if (m) {
    mem.AddMember("size", o.make_num(double(m->memory_actual)), o.alloc());
  } else {
    mem.AddMember("size", o.make_num(double(vm.dyn_max)), o.alloc());
  }
  return mem;
}

// resident_on's host; else the pool, unless a disk sits on a local SR: that SR's host.
std::string container(const VmData& vm, const ModelState& st) {
  if (vm.resident_on != kNoHandle) return st.uuid_of(vm.resident_on);
  for (Handle vbd_ref : vm.vbds) {
    const auto* vbd = st.data<VbdData>(vbd_ref);
    const auto* vdi = vbd ? st.data<VdiData>(vbd->vdi) : nullptr;
    const auto* sr = vdi ? st.data<SrData>(vdi->sr) : nullptr;
    if (!sr || sr->shared || sr->pbds.empty()) continue;
    const auto* pbd = st.data<PbdData>(sr->pbds.front());
    std::string host = pbd ? st.uuid_of(pbd->host) : std::string();
    if (!host.empty()) return host;
  }
  return st.pool_uuid;
}

}  // namespace

void add_vm_derived(const MapCtx& c, JsonOut& o) {
  const auto& vm = *data_as<VmData>(c.self.data);
  const auto* m = c.st.data<VmMetricsData>(vm.metrics);
  const auto* gm = c.st.data<GuestMetricsData>(vm.guest_metrics);
  bool running = is_running(vm);

  StringPairs networks = gm ? unpack_pairs(gm->networks) : StringPairs{};
  o.value("addresses", pairs_object(normalize_vm_networks(networks), o));
  if (gm) o.str_if("mainIpAddress", main_ip_address(networks));
  if (gm && !gm->os_version.empty()) {
    o.value("os_version", pairs_object(unpack_pairs(gm->os_version), o));
  } else {
    o.null("os_version");
  }
  bool tools = running && m && has_pv_version(gm);
  Value cpus(rapidjson::kObjectType);
  cpus.AddMember("max", o.make_num(double(vm.vcpus_max)), o.alloc());
  bool use_metrics = tools && !(vm.is_template && !vm.is_snapshot && !vm.is_control);
  cpus.AddMember("number", o.make_num(double(use_metrics ? m->vcpus_number : vm.vcpus_at_startup)),
                 o.alloc());
  o.value("CPUs", std::move(cpus));
  o.value("memory", memory(vm, m, gm, o));
  if (m) {
    o.num_or_null("installTime", m->install_time);
    o.num_or_null("startTime", m->start_time);
  }
  add_guest_tools(vm, m, gm, o);
  o.str("$container", container(vm, c.st));
  Value ops(rapidjson::kObjectType);
  for (const auto& [task, op] : unpack_pairs(vm.current_ops)) {
    std::string u = c.st.uuid_of(task);
    if (!u.empty()) ops.AddMember(o.make_str(u), o.make_str(op), o.alloc());
  }
  o.value("current_operations", std::move(ops));
  if (is_plain_vm(vm)) {
    o.value("vulnerabilities", vm_vulnerabilities(vm, gm, o));
  }
}

}  // namespace xr::xo

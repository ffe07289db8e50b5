// Hand-written XAPI records (fields per reference xapi.md §3) and a recording ObjectSink
// for the XO model's unit tests.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "xapi/event.h"
#include "xapi/value.h"
#include "xo/pool_model.h"
#include "xo/object_sink.h"
#include "xo/pool_model.h"

namespace xotest {

using xr::xapi::Value;

inline Value S(std::string s) { return Value::string(std::move(s)); }
inline Value I(int64_t i) { return Value::string(std::to_string(i)); }  // XML-RPC style
inline Value B(bool b) { return Value::boolean(b); }
inline Value A(std::vector<std::string> items) {
  Value::Array a;
  for (auto& s : items) a.push_back(Value::string(s));
  return Value::array(std::move(a));
}
inline Value M(std::vector<std::pair<std::string, std::string>> kv) {
  Value m = Value::structure();
  for (auto& [k, v] : kv) m.add_member(k, Value::string(v));
  return m;
}
inline Value R(std::vector<std::pair<std::string, Value>> fields) {
  Value r = Value::structure();
  for (auto& [k, v] : fields) r.add_member(k, std::move(v));
  return r;
}
// Replaces (or adds) one field of a record.
inline void set(Value& rec, const std::string& name, Value v) {
  for (auto& m : *rec.mutable_struct()) {
    if (m.name == name) {
      m.value = std::move(v);
      return;
    }
  }
  rec.add_member(name, std::move(v));
}

// Records by class, with the fields the XO model reads and sane defaults.
Value pool_rec(const std::string& uuid, const std::string& master);
Value host_rec(const std::string& uuid, const std::string& name, const std::string& metrics);
Value host_metrics_rec(const std::string& uuid, int64_t total, int64_t free, bool live);
Value vm_rec(const std::string& uuid, const std::string& name, const std::string& power);
Value vm_metrics_rec(const std::string& uuid, int64_t vcpus, int64_t mem);
Value guest_metrics_rec(const std::string& uuid,
                        std::vector<std::pair<std::string, std::string>> networks);
Value sr_rec(const std::string& uuid, bool shared, std::vector<std::string> pbds,
             std::vector<std::string> vdis, const std::string& type = "ext");
Value pbd_rec(const std::string& uuid, const std::string& host, const std::string& sr);
Value vdi_rec(const std::string& uuid, const std::string& sr, std::vector<std::string> vbds,
              int64_t usage, const std::string& parent_uuid = "");
Value vbd_rec(const std::string& uuid, const std::string& vm, const std::string& vdi);
Value vif_rec(const std::string& uuid, const std::string& vm, const std::string& network);
Value network_rec(const std::string& uuid, std::vector<std::string> pifs);
Value pif_rec(const std::string& uuid, const std::string& host, const std::string& network,
              const std::string& metrics);
Value message_rec(const std::string& uuid, const std::string& name, const std::string& obj_uuid,
                  const std::string& body);

xr::xapi::Event ev(const std::string& cls, const std::string& op, const std::string& ref,
                   Value snapshot = Value());

// Records every sink call; keeps the current objects as compact JSON.
class RecordingSink : public xr::xo::ObjectSink {
 public:
  void begin_batch() override { ++batches; }
  void end_batch() override {}
  void upsert(std::string_view coll, std::string_view id, const rapidjson::Value& obj) override;
  void remove(std::string_view coll, std::string_view id) override;
  bool current(std::string_view coll, std::string_view id, std::string* json) const override {
    auto it = objects.find({std::string(coll), std::string(id)});
    if (it == objects.end()) return false;
    *json = it->second;
    return true;
  }

  bool has(const std::string& coll, const std::string& id) const {
    return objects.count({coll, id}) != 0;
  }
  // Parsed copy of a current object (empty object if absent).
  rapidjson::Document get(const std::string& coll, const std::string& id) const;
  size_t count(const std::string& coll) const;

  int batches = 0;
  std::vector<std::string> log;  // "upsert vms/<id>", "remove vms/<id>"
  std::map<std::pair<std::string, std::string>, std::string> objects;
};

// A small consistent pool: 1 pool, 2 hosts (host 2 without metrics), a local and a shared
// SR, a running VM with tools on host 1, a halted VM with a disk on the local SR.
struct World {
  World();
  xr::xapi::EventBatch full() const;  // full_resync batch of everything
  std::vector<std::pair<std::string, std::pair<std::string, Value>>> objs;  // ref → (cls, rec)
  Value& rec(const std::string& ref);
};

// ---- definitions (header-only: the unit-test glob compiles *_test.cpp only) ----

inline Value pool_rec(const std::string& uuid, const std::string& master) {
  return R({{"uuid", S(uuid)},
            {"name_label", S("")},
            {"name_description", S("a pool")},
            {"master", S(master)},
            {"default_SR", S("OpaqueRef:srs")},
            {"suspend_image_SR", S("OpaqueRef:NULL")},
            {"crash_dump_SR", S("OpaqueRef:NULL")},
            {"other_config", M({{"auto_poweron", "true"}})},
            {"ha_enabled", B(false)},
            {"ha_statefiles", A({})},
            {"tags", A({"prod"})},
            {"restrictions", M({{"restrict_zstd_export", "false"}, {"restrict_vtpm", "true"}})},
            {"current_operations", M({})},
            {"cpu_info", M({{"cpu_count", "8"}, {"socket_count", "1"}})},
            {"migration_compression", B(false)},
            {"ha_reboot_vm_on_internal_shutdown", B(true)}});
}

inline Value host_rec(const std::string& uuid, const std::string& name,
                      const std::string& metrics) {
  return R({{"uuid", S(uuid)},
            {"name_label", S(name)},
            {"name_description", S("")},
            {"current_operations", M({})},
            {"enabled", B(true)},
            {"software_version", M({{"product_version", "8.3.0"},
                                    {"product_brand", "XCP-ng"},
                                    {"platform_version", "3.4.0"},
                                    {"build_number", "cloud"},
                                    {"xcp-ng:xen-orchestra", "XO pack, version 1.2.3"}})},
            {"other_config", M({{"boot_time", "1700000000."}, {"iscsi_iqn", "iqn.x"}})},
            {"capabilities", A({"xen-3.0-x86_64", "hvm-3.0-x86_64"})},
            {"resident_VMs", A({})},
            {"logging", M({})},
            {"PIFs", A({})},
            {"PBDs", A({})},
            {"patches", A({})},
            {"cpu_info", M({{"cpu_count", "4"}, {"socket_count", "1"}, {"vendor", "x"}})},
            {"hostname", S(name)},
            {"address", S("10.0.0.1")},
            {"metrics", S(metrics)},
            {"license_params", M({{"restrict_zstd_export", "false"}})},
            {"license_server", M({})},
            {"bios_strings", M({})},
            {"power_on_mode", S("")},
            {"chipset_info", M({{"iommu", "true"}})},
            {"PCIs", A({})},
            {"PGPUs", A({})},
            {"control_domain", S("OpaqueRef:NULL")},
            {"updates_requiring_reboot", A({})},
            {"tags", A({})},
            {"iscsi_iqn", S("iqn.host")},
            {"certificates", A({})}});
}

inline Value host_metrics_rec(const std::string& uuid, int64_t total, int64_t free, bool live) {
  return R(
      {{"uuid", S(uuid)}, {"memory_total", I(total)}, {"memory_free", I(free)}, {"live", B(live)}});
}

inline Value vm_rec(const std::string& uuid, const std::string& name, const std::string& power) {
  return R({{"uuid", S(uuid)},
            {"name_label", S(name)},
            {"name_description", S("")},
            {"power_state", S(power)},
            {"current_operations", M({})},
            {"is_a_template", B(false)},
            {"is_default_template", B(false)},
            {"is_a_snapshot", B(false)},
            {"is_control_domain", B(false)},
            {"snapshot_of", S("OpaqueRef:NULL")},
            {"snapshots", A({})},
            {"snapshot_time", Value::datetime("19700101T00:00:00Z")},
            {"resident_on", S("OpaqueRef:NULL")},
            {"affinity", S("OpaqueRef:NULL")},
            {"memory_static_max", I(2147483648)},
            {"memory_dynamic_max", I(1073741824)},
            {"memory_dynamic_min", I(536870912)},
            {"memory_static_min", I(268435456)},
            {"VCPUs_params", M({})},
            {"VCPUs_max", I(4)},
            {"VCPUs_at_startup", I(2)},
            {"VIFs", A({})},
            {"VBDs", A({})},
            {"VTPMs", A({})},
            {"VGPUs", A({})},
            {"PV_args", S("")},
            {"HVM_boot_policy", S("BIOS order")},
            {"HVM_boot_params", M({{"order", "cd"}, {"firmware", "bios"}})},
            {"platform", M({{"viridian", "true"}, {"cores-per-socket", "2"}})},
            {"other_config", M({})},
            {"metrics", S("OpaqueRef:NULL")},
            {"guest_metrics", S("OpaqueRef:NULL")},
            {"recommendations", S("")},
            {"xenstore_data", M({})},
            {"ha_restart_priority", S("")},
            {"tags", A({})},
            {"blocked_operations", M({})},
            {"parent", S("OpaqueRef:NULL")},
            {"bios_strings", M({})},
            {"start_delay", I(0)},
            {"suspend_SR", S("OpaqueRef:NULL")},
            {"suspend_VDI", S("OpaqueRef:NULL")},
            {"has_vendor_device", B(false)},
            {"domain_type", S("hvm")}});
}

inline Value vm_metrics_rec(const std::string& uuid, int64_t vcpus, int64_t mem) {
  return R({{"uuid", S(uuid)},
            {"memory_actual", I(mem)},
            {"VCPUs_number", I(vcpus)},
            {"start_time", Value::datetime("20250319T04:16:24Z")},
            {"install_time", Value::datetime("20240101T00:00:00Z")}});
}

inline Value guest_metrics_rec(const std::string& uuid,
                               std::vector<std::pair<std::string, std::string>> networks) {
  return R({{"uuid", S(uuid)},
            {"os_version", M({{"name", "Debian 12"}, {"distro", "debian"}})},
            {"PV_drivers_version",
             M({{"major", "9"}, {"minor", "1"}, {"micro", "2"}, {"build", "100"}})},
            {"PV_drivers_up_to_date", B(true)},
            {"networks", M(std::move(networks))},
            {"other", M({{"feature-static-ip-setting", "1"}})},
            {"memory", M({})},
            {"PV_drivers_detected", B(true)}});
}

inline Value sr_rec(const std::string& uuid, bool shared, std::vector<std::string> pbds,
                    std::vector<std::string> vdis, const std::string& type) {
  return R({{"uuid", S(uuid)},
            {"name_label", S("sr " + uuid)},
            {"name_description", S("")},
            {"current_operations", M({})},
            {"VDIs", A(std::move(vdis))},
            {"PBDs", A(std::move(pbds))},
            {"virtual_allocation", I(1000)},
            {"physical_utilisation", I(500)},
            {"physical_size", I(100000)},
            {"type", S(type)},
            {"content_type", S("user")},
            {"shared", B(shared)},
            {"other_config", M({})},
            {"tags", A({})},
            {"sm_config", M({})}});
}

inline Value pbd_rec(const std::string& uuid, const std::string& host, const std::string& sr) {
  return R({{"uuid", S(uuid)},
            {"host", S(host)},
            {"SR", S(sr)},
            {"device_config", M({{"device", "/dev/sdb"}, {"password", "hunter2"}})},
            {"currently_attached", B(true)},
            {"other_config", M({})}});
}

inline Value vdi_rec(const std::string& uuid, const std::string& sr, std::vector<std::string> vbds,
                     int64_t usage, const std::string& parent_uuid) {
  Value sm = parent_uuid.empty() ? M({}) : M({{"vhd-parent", parent_uuid}});
  return R({{"uuid", S(uuid)},
            {"name_label", S("disk " + uuid)},
            {"name_description", S("")},
            {"current_operations", M({})},
            {"SR", S(sr)},
            {"VBDs", A(std::move(vbds))},
            {"virtual_size", I(10737418240)},
            {"physical_utilisation", I(usage)},
            {"type", S("user")},
            {"other_config", M({})},
            {"managed", B(true)},
            {"missing", B(false)},
            {"sm_config", std::move(sm)},
            {"is_a_snapshot", B(false)},
            {"snapshot_of", S("OpaqueRef:NULL")},
            {"snapshots", A({})},
            {"snapshot_time", Value::datetime("19700101T00:00:00Z")},
            {"tags", A({})},
            {"cbt_enabled", B(false)}});
}

inline Value vbd_rec(const std::string& uuid, const std::string& vm, const std::string& vdi) {
  return R({{"uuid", S(uuid)},
            {"VM", S(vm)},
            {"VDI", S(vdi)},
            {"device", S("xvda")},
            {"userdevice", S("0")},
            {"bootable", B(true)},
            {"mode", S("RW")},
            {"type", S("Disk")},
            {"currently_attached", B(false)}});
}

inline Value vif_rec(const std::string& uuid, const std::string& vm, const std::string& network) {
  return R({{"uuid", S(uuid)},
            {"device", S("0")},
            {"network", S(network)},
            {"VM", S(vm)},
            {"MAC", S("02:00:00:00:00:01")},
            {"MTU", I(1500)},
            {"other_config", M({})},
            {"currently_attached", B(true)},
            {"qos_algorithm_type", S("ratelimit")},
            {"qos_algorithm_params", M({{"kbps", "1024"}})},
            {"locking_mode", S("network_default")},
            {"ipv4_allowed", A({})},
            {"ipv6_allowed", A({})}});
}

inline Value network_rec(const std::string& uuid, std::vector<std::string> pifs) {
  return R({{"uuid", S(uuid)},
            {"name_label", S("net")},
            {"name_description", S("")},
            {"current_operations", M({})},
            {"VIFs", A({})},
            {"PIFs", A(std::move(pifs))},
            {"MTU", I(1500)},
            {"other_config", M({{"automatic", "true"}})},
            {"bridge", S("xenbr0")},
            {"tags", A({})},
            {"default_locking_mode", S("unlocked")},
            {"purpose", A({"nbd"})}});
}

inline Value pif_rec(const std::string& uuid, const std::string& host, const std::string& network,
                     const std::string& metrics) {
  return R({{"uuid", S(uuid)},
            {"device", S("eth0")},
            {"network", S(network)},
            {"host", S(host)},
            {"MAC", S("aa:bb:cc:dd:ee:ff")},
            {"MTU", I(1500)},
            {"VLAN", I(-1)},
            {"metrics", S(metrics)},
            {"physical", B(true)},
            {"currently_attached", B(true)},
            {"ip_configuration_mode", S("Static")},
            {"IP", S("10.0.0.1")},
            {"netmask", S("255.255.255.0")},
            {"gateway", S("10.0.0.254")},
            {"DNS", S("10.0.0.53")},
            {"bond_slave_of", S("OpaqueRef:NULL")},
            {"bond_master_of", A({})},
            {"management", B(true)},
            {"disallow_unplug", B(false)},
            {"ipv6_configuration_mode", S("None")},
            {"IPv6", A({})},
            {"primary_address_type", S("IPv4")}});
}

inline Value message_rec(const std::string& uuid, const std::string& name,
                         const std::string& obj_uuid, const std::string& body) {
  return R({{"uuid", S(uuid)},
            {"name", S(name)},
            {"priority", I(3)},
            {"cls", S("VM")},
            {"obj_uuid", S(obj_uuid)},
            {"timestamp", Value::datetime("20250101T00:00:10Z")},
            {"body", S(body)}});
}

inline xr::xapi::Event ev(const std::string& cls, const std::string& op, const std::string& ref,
                          Value snapshot) {
  return xr::xapi::Event{cls, op, ref, std::move(snapshot)};
}

inline void RecordingSink::upsert(std::string_view coll, std::string_view id,
                                  const rapidjson::Value& obj) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  obj.Accept(w);
  objects[{std::string(coll), std::string(id)}] = buf.GetString();
  log.push_back("upsert " + std::string(coll) + "/" + std::string(id));
}

inline void RecordingSink::remove(std::string_view coll, std::string_view id) {
  objects.erase({std::string(coll), std::string(id)});
  log.push_back("remove " + std::string(coll) + "/" + std::string(id));
}

inline rapidjson::Document RecordingSink::get(const std::string& coll,
                                              const std::string& id) const {
  rapidjson::Document d(rapidjson::kObjectType);
  auto it = objects.find({coll, id});
  if (it != objects.end()) d.Parse(it->second.c_str());
  return d;
}

inline size_t RecordingSink::count(const std::string& coll) const {
  size_t n = 0;
  for (const auto& [key, json] : objects) n += key.first == coll;
  return n;
}

inline World::World() {
  auto add = [&](std::string cls, std::string ref, Value v) {
    objs.push_back({std::move(ref), {std::move(cls), std::move(v)}});
  };
  add("pool", "OpaqueRef:pool", pool_rec("u-pool", "OpaqueRef:host1"));
  add("host", "OpaqueRef:host1", host_rec("u-host1", "host1", "OpaqueRef:hm1"));
  add("host_metrics", "OpaqueRef:hm1",
      host_metrics_rec("u-hm1", 16LL * (1 << 30) - 100 * (1 << 20), 4LL << 30, true));
  add("host", "OpaqueRef:host2", host_rec("u-host2", "host2", "OpaqueRef:NULL"));
  Value dom0 = vm_rec("u-dom0", "Control domain on host: host1", "Running");
  set(dom0, "is_control_domain", B(true));
  set(dom0, "resident_on", S("OpaqueRef:host1"));
  add("vm", "OpaqueRef:dom0", std::move(dom0));
  add("sr", "OpaqueRef:srl", sr_rec("u-srl", false, {"OpaqueRef:pbdl"}, {"OpaqueRef:vdi2"}));
  add("pbd", "OpaqueRef:pbdl", pbd_rec("u-pbdl", "OpaqueRef:host1", "OpaqueRef:srl"));
  add("sr", "OpaqueRef:srs", sr_rec("u-srs", true, {"OpaqueRef:pbds1"}, {"OpaqueRef:vdi1"}, "nfs"));
  add("pbd", "OpaqueRef:pbds1", pbd_rec("u-pbds1", "OpaqueRef:host1", "OpaqueRef:srs"));
  Value vm1 = vm_rec("u-vm1", "vm1", "Running");
  set(vm1, "resident_on", S("OpaqueRef:host1"));
  set(vm1, "metrics", S("OpaqueRef:vm1m"));
  set(vm1, "guest_metrics", S("OpaqueRef:vm1g"));
  set(vm1, "VBDs", A({"OpaqueRef:vbd1"}));
  set(vm1, "VIFs", A({"OpaqueRef:vif1"}));
  add("vm", "OpaqueRef:vm1", std::move(vm1));
  add("vm_metrics", "OpaqueRef:vm1m", vm_metrics_rec("u-vm1m", 3, 1073741824));
  add("vm_guest_metrics", "OpaqueRef:vm1g",
      guest_metrics_rec("u-vm1g", {{"0/ipv6/0", "fe80::1"}, {"0/ip", "10.0.0.5"}}));
  add("vbd", "OpaqueRef:vbd1", vbd_rec("u-vbd1", "OpaqueRef:vm1", "OpaqueRef:vdi1"));
  add("vdi", "OpaqueRef:vdi1", vdi_rec("u-vdi1", "OpaqueRef:srs", {"OpaqueRef:vbd1"}, 100));
  Value vm2 = vm_rec("u-vm2", "vm2", "Halted");
  set(vm2, "VBDs", A({"OpaqueRef:vbd2"}));
  add("vm", "OpaqueRef:vm2", std::move(vm2));
  add("vbd", "OpaqueRef:vbd2", vbd_rec("u-vbd2", "OpaqueRef:vm2", "OpaqueRef:vdi2"));
  add("vdi", "OpaqueRef:vdi2", vdi_rec("u-vdi2", "OpaqueRef:srl", {"OpaqueRef:vbd2"}, 200));
  add("network", "OpaqueRef:net1", network_rec("u-net1", {"OpaqueRef:pif1"}));
  add("pif", "OpaqueRef:pif1",
      pif_rec("u-pif1", "OpaqueRef:host1", "OpaqueRef:net1", "OpaqueRef:NULL"));
  add("vif", "OpaqueRef:vif1", vif_rec("u-vif1", "OpaqueRef:vm1", "OpaqueRef:net1"));
}

inline xr::xapi::EventBatch World::full() const {
  xr::xapi::EventBatch b;
  b.full_resync = true;
  for (const auto& [ref, cv] : objs) b.events.push_back(ev(cv.first, "add", ref, cv.second));
  return b;
}

inline Value& World::rec(const std::string& ref) {
  for (auto& [r, cv] : objs) {
    if (r == ref) return cv.second;
  }
  throw std::out_of_range(ref);
}

// A model loaded with World's full dump, with helpers to apply later batches.
struct Loaded {
  World w;
  RecordingSink sink;
  xr::xo::PoolModel model;
  Loaded() { model.apply(w.full(), sink); }
  void reload() {
    sink = RecordingSink();
    model = xr::xo::PoolModel();
    model.apply(w.full(), sink);
  }
  void apply(std::vector<xr::xapi::Event> events) {
    sink.log.clear();
    xr::xapi::EventBatch b;
    b.events = std::move(events);
    model.apply(b, sink);
  }
  bool logged(const std::string& line) const {
    return std::find(sink.log.begin(), sink.log.end(), line) != sink.log.end();
  }
};

// The string member k of o, or "<absent>".
inline std::string str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "<absent>";
}

}  // namespace xotest

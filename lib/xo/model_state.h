// ModelState: what a PoolModel remembers of one pool between event batches — for every
// XAPI object its uuid and, for the classes derived fields depend on, a compact struct of
// just those inputs (never whole records). Used by the poller's pool thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "xo/collections.h"
#include "xo/vm_networks.h"

namespace xr::xo {

struct VmData {
  std::string power_state, resident_on, metrics, guest_metrics, pool_ref;
  std::vector<std::string> vbds;
  int64_t vcpus_max = 0, vcpus_at_startup = 0;
  int64_t dyn_min = 0, dyn_max = 0, st_min = 0, st_max = 0;
  bool is_template = false, is_default_template = false, is_snapshot = false;
  bool is_control = false, is_windows = false;
  StringPairs current_ops;  // task ref → operation
};
struct VmMetricsData {
  int64_t memory_actual = 0, vcpus_number = 0;
  std::optional<double> start_time, install_time;
  bool operator==(const VmMetricsData&) const = default;
};
struct GuestMetricsData {
  StringPairs networks, os_version, pv_version;  // pv_version: PV_drivers_version map
  std::optional<bool> pv_detected;
  bool pv_up_to_date = false, static_ip_feature = false;
  std::string mem_used, mem_total;
  bool operator==(const GuestMetricsData&) const = default;
};
struct HostData {
  std::string metrics, name_label, platform_version;
  std::vector<std::string> certificates;
};
struct HostMetricsData {
  bool live = false;
  int64_t total = 0, free = 0;
  bool operator==(const HostMetricsData&) const = default;
};
struct SrData {
  bool shared = false;
  std::string type;
  std::vector<std::string> pbds, vdis;
};
struct PbdData {
  std::string host, sr, provisioning;
};
struct VdiData {
  std::string sr, parent_uuid;
  std::vector<std::string> vbds;
  int64_t usage = 0;
  bool is_snapshot = false, managed = true;
};
struct VbdData {
  std::string vm, vdi;
};
struct PifData {
  std::string metrics, network, bond_slave_of;
  std::vector<std::string> bond_master_of;
};
struct PifMetricsData {
  std::string device_name;
  bool carrier = false;
  std::optional<int64_t> speed;
  bool operator==(const PifMetricsData&) const = default;
};
struct BondData {
  std::string master;
  std::vector<std::string> slaves;
};
struct NetworkData {
  std::vector<std::string> pifs;
};
struct PoolData {
  std::string master, name_label;
  std::vector<std::string> ha_statefiles;
};
struct CertData {
  std::string host, fingerprint;
  std::optional<double> not_after;
};

using ObjData = std::variant<std::monostate, VmData, VmMetricsData, GuestMetricsData, HostData,
                             HostMetricsData, SrData, PbdData, VdiData, VbdData, PifData,
                             PifMetricsData, BondData, NetworkData, PoolData, CertData>;

struct Obj {
  Cls cls = Cls::kOther;
  std::string uuid;
  Coll coll = Coll::kNone;  // collection it is currently emitted in
  std::string xo_id;        // emitted id when it is not the uuid (default templates)
  std::string base;         // serialized XO object minus derived fields (derived classes)
  ObjData data;
};

struct StrHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StrEq = std::equal_to<>;

class ModelState {
 public:
  const Obj* find(std::string_view ref) const;
  Obj* find(std::string_view ref);
  // uuid of a referenced object; "" when null or unknown.
  std::string_view uuid_of(std::string_view ref) const;
  // OpaqueRef of an object by uuid; "" when unknown.
  std::string_view ref_of_uuid(std::string_view uuid) const;
  template <class T>
  const T* data(std::string_view ref) const {
    const Obj* o = find(ref);
    return o ? std::get_if<T>(&o->data) : nullptr;
  }
  // The XO id an object is (or would be) served under: uuid, or xo_id when set.
  std::string_view xo_id(const Obj& o) const { return o.xo_id.empty() ? o.uuid : o.xo_id; }

  Obj& upsert(const std::string& ref, Cls cls, std::string_view uuid);
  void erase(std::string_view ref);

  std::string pool_ref, pool_uuid;
  std::unordered_map<std::string, Obj, StrHash, StrEq> objs;            // by OpaqueRef
  std::unordered_map<std::string, std::string, StrHash, StrEq> owner;   // metrics ref → owner
  std::unordered_map<std::string, std::vector<std::string>, StrHash, StrEq> vdi_children;
  std::unordered_set<std::string, StrHash, StrEq> vms_with_ops;  // non-empty current_operations

 private:
  std::unordered_map<std::string, std::string, StrHash, StrEq> ref_by_uuid_;
};

// XO `type` of an object from its class and flags ("VM-template", "SR", ...); "" if none.
std::string_view xo_type_of(const Obj& o);

}  // namespace xr::xo

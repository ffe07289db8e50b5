// ModelState: what a PoolModel remembers of one pool between event batches — for every
// XAPI object its uuid and, for the classes derived fields depend on, a compact struct of
// just those inputs (references as interned handles, never whole records). Used by the
// poller's pool thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "xo/collections.h"
#include "xo/id16_map.h"
#include "xo/vm_networks.h"

namespace xr::xo {

std::optional<Id16> id16_from_uuid(std::string_view text);
std::string uuid_from_id16(const Id16& k);

// A uuid (binary when canonical, text otherwise).
class Uuid {
 public:
  void set(std::string_view text);
  std::string str() const;
  bool empty() const { return !bin_ && !text_; }
  bool binary() const { return bin_; }
  const Id16& id() const { return id_; }
  const std::string* text() const { return text_.get(); }

 private:
  Id16 id_;
  bool bin_ = false;
  std::unique_ptr<std::string> text_;
};


// A string map packed as "k\0v\0k\0v\0" (one allocation; compared as a whole).
std::string pack_pairs(const std::vector<std::pair<std::string_view, std::string_view>>& kv);
StringPairs unpack_pairs(std::string_view packed);
std::string_view packed_get(std::string_view packed, std::string_view key);

struct VmData {
  std::string power_state;
  Handle resident_on = kNoHandle, metrics = kNoHandle, guest_metrics = kNoHandle;
  std::vector<Handle> vbds;
  int64_t vcpus_max = 0, vcpus_at_startup = 0;
  int64_t dyn_min = 0, dyn_max = 0, st_min = 0, st_max = 0;
  bool is_template = false, is_default_template = false, is_snapshot = false;
  bool is_control = false, is_windows = false;
  std::string current_ops;  // packed: task ref → operation
};
struct VmMetricsData {
  int64_t memory_actual = 0, vcpus_number = 0;
  std::optional<double> start_time, install_time;
  bool operator==(const VmMetricsData&) const = default;
};
struct GuestMetricsData {
  std::string networks, os_version, pv_version;  // packed maps
  std::optional<bool> pv_detected;
  bool pv_up_to_date = false, static_ip_feature = false;
  std::string mem_used, mem_total;
  bool operator==(const GuestMetricsData&) const = default;
};
struct HostData {
  Handle metrics = kNoHandle;
  std::string name_label, platform_version;
  std::vector<Handle> certificates;
};
struct HostMetricsData {
  bool live = false;
  int64_t total = 0, free = 0;
  bool operator==(const HostMetricsData&) const = default;
};
struct SrData {
  bool shared = false;
  std::string type;
  std::vector<Handle> pbds, vdis;
};
struct PbdData {
  Handle host = kNoHandle, sr = kNoHandle;
  std::string provisioning;
};
struct VdiData {
  Handle sr = kNoHandle;
  std::string parent_uuid;
  std::vector<Handle> vbds;
  int64_t usage = 0;
  bool is_snapshot = false, managed = true;
};
struct VbdData {
  Handle vm = kNoHandle, vdi = kNoHandle;
};
struct PifData {
  Handle metrics = kNoHandle, network = kNoHandle, bond_slave_of = kNoHandle;
  std::vector<Handle> bond_master_of;
};
struct PifMetricsData {
  std::string device_name;
  bool carrier = false;
  std::optional<int64_t> speed;
  bool operator==(const PifMetricsData&) const = default;
};
struct BondData {
  Handle master = kNoHandle;
  std::vector<Handle> slaves;
};
struct NetworkData {
  std::vector<Handle> pifs;
};
struct PoolData {
  Handle master = kNoHandle;
  std::string name_label;
  std::vector<Handle> ha_statefiles;
};
struct CertData {
  Handle host = kNoHandle;
  std::string fingerprint;
  std::optional<double> not_after;
};

// Only the two smallest structs live inline; the others are boxed so that the ~100k
// objects of a big pool (VBDs, VIFs, messages...) do not each pay for the largest one.
template <class T>
using Box = std::unique_ptr<T>;
using ObjData = std::variant<std::monostate, VbdData, HostMetricsData, Box<VmData>,
                             Box<GuestMetricsData>, Box<VmMetricsData>, Box<HostData>, Box<SrData>,
                             Box<PbdData>, Box<VdiData>, Box<PifData>, Box<PifMetricsData>,
                             Box<BondData>, Box<NetworkData>, Box<PoolData>, Box<CertData>>;

template <class T>
constexpr bool kInline = std::is_same_v<T, VbdData> || std::is_same_v<T, HostMetricsData>;

template <class T>
ObjData make_data(T&& v) {
  using U = std::decay_t<T>;
  if constexpr (kInline<U>) {
    return ObjData(std::forward<T>(v));
  } else {
    return ObjData(std::make_unique<U>(std::forward<T>(v)));
  }
}

template <class T>
const T* data_as(const ObjData& d) {
  if constexpr (kInline<T>) {
    return std::get_if<T>(&d);
  } else {
    auto* p = std::get_if<Box<T>>(&d);
    return p ? p->get() : nullptr;
  }
}

struct Obj {
  Cls cls = Cls::kOther;
  Coll coll = Coll::kNone;      // collection it is currently emitted in
  bool pool_scoped_id = false;  // served as "<pool uuid>-<uuid>" (default templates)
  // How many leading members of the object as emitted (the sink holds it) are its base,
  // the fields mapped from its own record; the derived fields follow them. 0: never mapped.
  uint16_t base_members = 0;
  Uuid uuid_;
  std::string uuid() const { return uuid_.str(); }
  ObjData data;
};

struct StrHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StrEq = std::equal_to<>;

class ModelState {
 public:
  // Handle of a live object by OpaqueRef; kNoHandle when null or unknown.
  Handle handle(std::string_view ref) const;
  // The live object, or nullptr for kNoHandle / a deleted object.
  const Obj* get(Handle h) const;
  Obj* get(Handle h);
  const Obj* find(std::string_view ref) const { return get(handle(ref)); }
  std::string ref_of(Handle h) const;
  std::string uuid_of(Handle h) const;  // "" when unknown
  std::string uuid_of(std::string_view ref) const { return uuid_of(handle(ref)); }
  Handle handle_of_uuid(std::string_view uuid) const;
  template <class T>
  const T* data(Handle h) const {
    const Obj* o = get(h);
    return o ? data_as<T>(o->data) : nullptr;
  }
  // The XO id an object is served under.
  std::string xo_id(const Obj& o) const { return xo_id(o, o.pool_scoped_id); }
  // The same if its pool-scoped flag were `pool_scoped`.
  std::string xo_id(const Obj& o, bool pool_scoped) const;

  // Creates the object for `ref` (or returns the existing one) and sets class and uuid.
  Handle create(std::string_view ref, Cls cls, std::string_view uuid);
  void erase(Handle h);
  // Prepares the indexes for about `n` objects (a full resync of n records).
  void reserve(size_t n);
  // Every live handle (for full-resync sweeps and reports).
  std::vector<Handle> all() const;
  size_t size() const { return by_ref_.size() + by_ref_text_.size(); }
  // Every handle's slot index (its low 32 bits) is below this (for tables by slot).
  size_t slot_count() const { return slots_.size(); }

  Handle pool = kNoHandle;
  std::string pool_uuid;
  std::unordered_map<Handle, Handle> owner;  // metrics → VM / host / PIF
  std::unordered_map<std::string, std::vector<Handle>, StrHash, StrEq> vdi_children;
  std::unordered_set<Handle> vms_with_ops;  // non-empty current_operations

 private:
  struct Slot {
    uint32_t gen = 1;
    bool live = false;
    bool ref_bin = false;  // ref is "OpaqueRef:" + canonical uuid → ref_id
    Id16 ref_id;
    const std::string* ref = nullptr;  // otherwise: its key in by_ref_text_
    Obj obj;
  };
  Handle* ref_entry(std::string_view ref);
  const Handle* ref_entry(std::string_view ref) const;
  Handle new_slot(std::string_view ref);
  void unindex_uuid(Handle h, const Obj& o);
  // Non-canonical uuids (tests, odd servers), keyed by views into the Uuid's own text.
  std::unordered_map<std::string_view, Handle> by_uuid_text_;

  std::deque<Slot> slots_;
  std::vector<uint32_t> free_;
  Id16Map by_ref_;
  std::unordered_map<std::string, Handle, StrHash, StrEq> by_ref_text_;
  Id16Map by_uuid_;
};

// XO `type` of an object from its class and flags ("VM-template", "SR", ...); "" if none.
std::string_view xo_type_of(const Obj& o);

}  // namespace xr::xo

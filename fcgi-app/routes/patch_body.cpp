#include "routes/patch_body.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string_view>

#include "routes/patch_check.h"
#include "worker/cache_access.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

using xapi::Value;

// What a key's builder sees: the target, and the reads it may need (done once).
struct Env {
  Context& ctx;
  const Target& t;
  const rapidjson::Value& body;  // the whole (valid) body: keys that constrain each other
  std::optional<Value> record;  // the object's XAPI record, when a builder asked for it
  bool locked = false;           // a VIF's switch to `locked` is already planned
  Result<const Value*> xapi_record() {
    if (!record) {
      XR_ASSIGN_OR_RETURN(Value r, ctx.svc.writes->call(t.pool, t.xapi_class + ".get_record",
                                                        {Value::string(t.ref)}));
      record = std::move(r);
    }
    return &*record;
  }
};

using Build = Status (*)(Env&, const rapidjson::Value&, std::vector<XapiOp>*);

// How the value of a key with no builder of its own becomes its one XAPI call.
enum class To {
  kArg,       // <class>.<call>(ref, value): a string, a list of strings, an integer or a boolean as is
  kFlag,      // update_<call>(entry, "true") when true; false removes the entry
  kBoolText,  // update_<call>(entry, "true" | "false")
  kText,      // update_<call>(entry, the string or the integer in decimal); null removes the entry
};

struct Key {
  std::string_view name;
  Kind kind;
  Build build = nullptr;         // the key's own builder; null: the one call `call`/`entry`/`to` say
  std::string_view values = {};  // kEnum: the accepted values, space-separated ("" allowed as "''")
  std::string_view call = {};    // the setter (kArg), or the map of xen-api's update_<map>
  std::string_view entry = {};   // the map's key
  To to = To::kArg;
};
// A key with its own builder; a key whose value is a setter's argument; one that is a map entry.
constexpr Key custom(std::string_view name, Kind kind, Build build, std::string_view values = {}) {
  return {name, kind, build, values, {}, {}, To::kArg};
}
constexpr Key setter(std::string_view name, Kind kind, std::string_view call, std::string_view values = {}) {
  return {name, kind, nullptr, values, call, {}, To::kArg};
}
constexpr Key entry(std::string_view name, Kind kind, std::string_view map, std::string_view key, To to,
                    std::string_view values = {}) {
  return {name, kind, nullptr, values, map, key, to};
}

Value str(std::string_view s) { return Value::string(std::string(s)); }
Value str_of(const rapidjson::Value& v) { return Value::string(std::string(v.GetString(), v.GetStringLength())); }
Value strings_of(const rapidjson::Value& v) {
  Value::Array items;
  for (const auto& item : v.GetArray()) items.push_back(str_of(item));
  return Value::array(std::move(items));
}
void add(std::vector<XapiOp>* ops, const Env& e, std::string_view message, std::vector<Value> more = {}) {
  std::vector<Value> args{Value::string(e.t.ref)};
  for (Value& v : more) args.push_back(std::move(v));
  ops->push_back({e.t.xapi_class + "." + std::string(message), std::move(args)});
}
// xen-api's update_<map>(key, value): remove the key, then add it unless value is null.
void update_map(std::vector<XapiOp>* ops, const Env& e, std::string_view map, std::string_view key,
                std::optional<std::string> value) {
  add(ops, e, "remove_from_" + std::string(map), {str(key)});
  if (value) add(ops, e, "add_to_" + std::string(map), {str(key), Value::string(*value)});
}
// xen-api's update_<map>(key, value) with XO's value conversions: null removes the key.
std::optional<std::string> int_text(const rapidjson::Value& v) {
  return v.IsNull() ? std::nullopt : std::optional<std::string>(std::to_string(int_of(v)));
}
std::optional<std::string> flag_text(const rapidjson::Value& v) {
  return v.GetBool() ? std::optional<std::string>("true") : std::nullopt;
}
int64_t record_int(const Value& rec, std::string_view field) {
  const Value* v = rec.get(field);
  auto i = v != nullptr ? v->as_int() : Result<int64_t>(Status(ErrorKind::kProtocol, ""));
  return i.is_ok() ? *i : 0;
}

// The body's integer for `key`, when the body sets it.
std::optional<int64_t> body_int(const Env& e, const char* key) {
  auto it = e.body.FindMember(key);
  if (it == e.body.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  return int_of(it->value);
}
// --- builders ------------------------------------------------------------------------------
// The XAPI ref of the cached object a body value names (XO id), OpaqueRef:NULL for null;
// XO's 404 (`type`) when the cache has no such object.
Result<std::string> ref_or_null(Env& e, std::string_view collection, std::string_view type, const rapidjson::Value& v) {
  if (!v.IsString()) return std::string("OpaqueRef:NULL");
  std::string json;
  const std::string id(v.GetString(), v.GetStringLength());
  rapidjson::Document obj;
  if (e.ctx.svc.cache->reader().get_json(collection, id, json)) obj.Parse(json.data(), json.size());
  auto ref = obj.IsObject() ? obj.FindMember("_xapiRef") : rapidjson::Value::MemberIterator();
  if (!obj.IsObject() || ref == obj.MemberEnd() || !ref->value.IsString()) return no_such(type, id, &e.ctx.error_data);
  return std::string(ref->value.GetString(), ref->value.GetStringLength());
}

Status set_affinity_host(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(std::string host_ref, ref_or_null(e, "hosts", "host", v));
  add(ops, e, "set_affinity", {Value::string(host_ref)});
  return Status::ok();
}
// XO's autoPoweron: the VM's other_config flag; turning it on turns the pool's on too (xapi
// starts a VM at boot only when both are set), turning it off leaves the pool's.
Status set_auto_poweron(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "other_config", "auto_poweron", flag_text(v));
  if (v.GetBool()) {
    ops->push_back({"pool.remove_from_other_config", {Value::string(e.t.pool_ref), str("auto_poweron")}});
    ops->push_back({"pool.add_to_other_config", {Value::string(e.t.pool_ref), str("auto_poweron"), str("true")}});
  }
  return Status::ok();
}
Status set_blocked_operations(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  for (const auto& m : v.GetObject()) {
    const std::string op(m.name.GetString(), m.name.GetStringLength());
    std::optional<std::string> value;
    if (m.value.IsString()) value = std::string(m.value.GetString(), m.value.GetStringLength());
    if (m.value.IsBool() && m.value.GetBool()) value = "true";
    update_map(ops, e, "blocked_operations", op, value);
  }
  return Status::ok();
}
// XO's cpus (skipped when already the start-up count): the maximum raised first when lower
// (XO's cpusStaticMax constraint: XAPI refuses that on a running VM), VM.set_VCPUs_at_startup,
// and on a running or paused VM the live count as well (VM.set_VCPUs_number_live).
Status set_cpus(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t n = int_of(v);
  if (n == record_int(*rec, "VCPUs_at_startup")) return Status::ok();
  if (n > body_int(e, "cpusStaticMax").value_or(record_int(*rec, "VCPUs_max"))) {
    add(ops, e, "set_VCPUs_max", {Value::integer(n)});
  }
  add(ops, e, "set_VCPUs_at_startup", {Value::integer(n)});
  const std::string_view power = rec->get_string("power_state");
  if (power == "Running" || power == "Paused") add(ops, e, "set_VCPUs_number_live", {Value::integer(n)});
  return Status::ok();
}
// XO's memoryMax: the dynamic maximum (XO skips the value already set). A running (or
// paused) VM gets its dynamic range, the minimum lowered to it when above; a halted one
// all four limits at once, the static range widened to hold it, and when XAPI refuses
// that (MEMORY_CONSTRAINT_VIOLATION_*: no DMC, nested virt) the limits pinned at it.
Status set_memory_max(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t m = int_of(v);
  if (m == record_int(*rec, "memory_dynamic_max")) return Status::ok();
  const int64_t dmin = std::min(record_int(*rec, "memory_dynamic_min"), m);
  const std::string_view power = rec->get_string("power_state");
  if (power == "Running" || power == "Paused") {
    add(ops, e, "set_memory_dynamic_range", {Value::integer(dmin), Value::integer(m)});
    return Status::ok();
  }
  const int64_t smin = std::min(record_int(*rec, "memory_static_min"), m);
  add(ops, e, "set_memory_limits",
      {Value::integer(smin), Value::integer(std::max(record_int(*rec, "memory_static_max"), m)), Value::integer(dmin),
       Value::integer(m)});
  ops->back().retry_on = "MEMORY_CONSTRAINT_VIOLATION";
  ops->back().retry_args = {Value::string(e.t.ref), Value::integer(smin), Value::integer(m), Value::integer(m),
                            Value::integer(m)};
  return Status::ok();
}
// XO's memory: a VM that does not use dynamic memory (dynamic min == dynamic max == static
// max) gets its limits pinned at the value, static minimum kept (VM.set_memory_limits,
// which XAPI allows on halted VMs only); one that does, memoryMax's dynamic maximum.
Status set_memory(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t dmin = record_int(*rec, "memory_dynamic_min");
  if (dmin != record_int(*rec, "memory_dynamic_max") || dmin != record_int(*rec, "memory_static_max")) {
    return set_memory_max(e, v, ops);
  }
  const int64_t m = int_of(v);
  if (m == dmin) return Status::ok();
  add(ops, e, "set_memory_limits",
      {Value::integer(record_int(*rec, "memory_static_min")), Value::integer(m), Value::integer(m), Value::integer(m)});
  return Status::ok();
}
// XO's allowedIpv4Addresses / allowedIpv6Addresses (editVif's ipv4Allowed, ipv6Allowed): a
// list already set is skipped; a non-empty one also switches a VIF not yet `locked` (whatever
// its mode) to `locked`, unless the body names its own lockingMode (applied after, it wins;
// XO makes both calls at once). Emptying the lists leaves the mode as it is, as XO.
Status set_allowed(Env& e, const rapidjson::Value& v, std::string_view field, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  Value list = strings_of(v);
  const Value* current = rec->get(field);
  if (current != nullptr && *current == list) return Status::ok();
  add(ops, e, "set_" + std::string(field), {std::move(list)});
  if (v.Size() > 0 && rec->get_string("locking_mode") != "locked" && !e.body.HasMember("lockingMode") &&
      !e.locked) {
    add(ops, e, "set_locking_mode", {str("locked")});
    e.locked = true;
  }
  return Status::ok();
}
Status set_ipv4_allowed(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  return set_allowed(e, v, "ipv4_allowed", ops);
}
Status set_ipv6_allowed(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  return set_allowed(e, v, "ipv6_allowed", ops);
}

Status set_cpu_mask(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  std::optional<std::string> mask;
  if (v.IsArray()) {
    mask = "";
    for (const auto& cpu : v.GetArray()) mask->append(mask->empty() ? "" : ",").append(std::to_string(int_of(cpu)));
  }
  update_map(ops, e, "VCPUs_params", "mask", mask);
  return Status::ok();
}
// XO's XEN_VIDEORAM_VALUES (MiB).
Status set_videoram(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  const int64_t mib = int_of(v);
  if (mib != 1 && mib != 2 && mib != 4 && mib != 8 && mib != 16) {
    FieldErrors errors;
    errors.add("body.videoram", "should be one of the following; ['1 2 4 8 16']", json_text(v));
    return errors.status();
  }
  update_map(ops, e, "platform", "videoram", std::to_string(mib));
  return Status::ok();
}
Status set_suspend_sr(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(std::string sr_ref, ref_or_null(e, "srs", "SR", v));
  add(ops, e, "set_suspend_SR", {Value::string(sr_ref)});
  return Status::ok();
}

// --- limits that constrain each other (XO's makeEditObject `constraints`) --------------------
// The dynamic maximum the body asks for (memoryMax, else memory), else XAPI's.
int64_t planned_dynamic_max(const Env& e, const Value& rec) {
  return body_int(e, "memoryMax").value_or(body_int(e, "memory").value_or(record_int(rec, "memory_dynamic_max")));
}
// A constraint moves memoryMax (XO's makeEditObject: the constrained spec itself, not memory's dispatch).
Status set_memory_to(Env& e, int64_t bytes, std::vector<XapiOp>* ops) {
  return set_memory_max(e, rapidjson::Value(bytes), ops);
}
// XO's cpusStaticMax (VM.set_VCPUs_max, halted VMs): a start-up count above the new maximum
// is lowered first, to the body's cpus when it sets them.
Status set_cpus_static_max(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t max = int_of(v);
  if (max == record_int(*rec, "VCPUs_max")) return Status::ok();  // XO skips a value already set
  if (record_int(*rec, "VCPUs_at_startup") > max) {
    add(ops, e, "set_VCPUs_at_startup", {Value::integer(body_int(e, "cpus").value_or(max))});
  }
  add(ops, e, "set_VCPUs_max", {Value::integer(max)});
  return Status::ok();
}
// XO's memoryMin (the dynamic minimum): a dynamic maximum below it is raised to it first.
Status set_memory_min(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t min = int_of(v);
  if (min == record_int(*rec, "memory_dynamic_min")) return Status::ok();
  if (planned_dynamic_max(e, *rec) < min) XR_RETURN_IF_ERROR(set_memory_to(e, min, ops));
  add(ops, e, "set_memory_dynamic_min", {Value::integer(min)});
  return Status::ok();
}
// XO's memoryStaticMax (halted VMs): a dynamic maximum above it is lowered to it first.
Status set_memory_static_max(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t max = int_of(v);
  if (max == record_int(*rec, "memory_static_max")) return Status::ok();
  if (planned_dynamic_max(e, *rec) > max) XR_RETURN_IF_ERROR(set_memory_to(e, max, ops));
  add(ops, e, "set_memory_static_max", {Value::integer(max)});
  return Status::ok();
}

// --- boot, devices, guest data --------------------------------------------------------------
std::optional<std::string> text_or_null(const rapidjson::Value& v) {
  return v.IsString() ? std::optional<std::string>(std::string(v.GetString(), v.GetStringLength())) : std::nullopt;
}
// The firmware, and the device model that goes with it (XO's hvmBootFirmware).
Status set_hvm_boot_firmware(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  const std::optional<std::string> firmware = text_or_null(v);
  update_map(ops, e, "HVM_boot_params", "firmware", firmware);
  update_map(ops, e, "platform", "device-model",
             std::string("qemu-upstream-") + (firmware == "uefi" ? "uefi" : "compat"));
  return Status::ok();
}
Status set_xenstore_data(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  for (const auto& m : v.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    update_map(ops, e, "xenstore_data", "vm-data/" + std::string(xenstore_suffix(key)), text_or_null(m.value));
  }
  return Status::ok();
}
// XO's creation data: merged into its per-object JSON in other_config["xo:<uuid prefix>"]
// (@xen-orchestra/xapi xoData), the other members of that JSON kept.
Status set_creation(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const std::string key = "xo:" + std::string(rec->get_string("uuid").substr(0, 8));
  std::string current;
  if (const Value* oc = rec->get("other_config")) current = std::string(oc->get_string(key));
  rapidjson::Document data;
  data.Parse(current.data(), current.size());
  if (data.HasParseError() || !data.IsObject()) data.SetObject();
  auto& alloc = data.GetAllocator();
  if (!data.HasMember("creation") || !data["creation"].IsObject()) {
    data.RemoveMember("creation");
    data.AddMember("creation", rapidjson::Value(rapidjson::kObjectType), alloc);
  }
  rapidjson::Value& creation = data["creation"];
  for (const auto& m : v.GetObject()) {
    creation.RemoveMember(m.name);
    creation.AddMember(rapidjson::Value(m.name, alloc), rapidjson::Value(m.value, alloc), alloc);
  }
  update_map(ops, e, "other_config", key, json_text(data));
  return Status::ok();
}
// Resource sets and their sharing live in XO's own database: with none here, only the
// requests that change nothing in XO either are accepted (checked by xo_only_refusal).
Status no_call(Env&, const rapidjson::Value&, std::vector<XapiOp>*) { return Status::ok(); }

// XO's size (VDI.resize): a disk never shrinks. A size below the one XO shows is XO's
// invalid parameters, here before any call (XO has applied the names by then).
Status resize(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  const int64_t size = int_of(v);
  rapidjson::Document cached;
  cached.Parse(e.t.json.data(), e.t.json.size());
  auto current = cached.IsObject() ? cached.FindMember("size") : cached.MemberEnd();
  if (cached.IsObject() && current != cached.MemberEnd() && current->value.IsNumber() &&
      size < int_of(current->value)) {
    return Status(ErrorKind::kInvalidParameters, "cannot set new size (" + std::to_string(size) +
                                                     ") below the current size (" +
                                                     std::to_string(int_of(current->value)) + ")");
  }
  add(ops, e, "resize", {Value::integer(size)});
  return Status::ok();
}
Status set_rate_limit(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_qos_algorithm_type", {str(v.IsNull() ? "" : "ratelimit")});
  update_map(ops, e, "qos_algorithm_params", "kbps", int_text(v));
  return Status::ok();
}

// The one call of a key with no builder of its own (Key::call, entry, to).
Status build_call(Env& e, const Key& key, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  if (key.to == To::kArg) {
    Value arg = v.IsString() ? str_of(v)
                : v.IsArray() ? strings_of(v)
                : v.IsBool()  ? Value::boolean(v.GetBool())
                              : Value::integer(int_of(v));
    add(ops, e, key.call, {std::move(arg)});
    return Status::ok();
  }
  std::optional<std::string> text;
  if (key.to == To::kFlag) text = flag_text(v);
  if (key.to == To::kBoolText) text = v.GetBool() ? "true" : "false";
  if (key.to == To::kText) text = v.IsString() ? text_or_null(v) : int_text(v);
  update_map(ops, e, key.call, key.entry, text);
  return Status::ok();
}

// clang-format off
// The seed's keys (legacy XO, every XAPI collection with names).
constexpr Key kSnakeKeys[] = {
    setter("name_label", Kind::kString, "set_name_label"),
    setter("name_description", Kind::kString, "set_name_description"),
    setter("tags", Kind::kStringArray, "set_tags"),
};
// Current XO's PATCH /vms/{id} keys, in the order its editVm applies them.
constexpr Key kVmKeys[] = {
    setter("nameLabel", Kind::kString, "set_name_label"),
    setter("nameDescription", Kind::kString, "set_name_description"),
    setter("tags", Kind::kStringArray, "set_tags"),
    custom("affinityHost", Kind::kNullableString, &set_affinity_host),
    custom("autoPoweron", Kind::kBool, &set_auto_poweron),
    custom("blockedOperations", Kind::kOpMap, &set_blocked_operations),
    custom("cpusStaticMax", Kind::kInteger, &set_cpus_static_max),
    custom("cpus", Kind::kInteger, &set_cpus),
    setter("highAvailability", Kind::kEnum, "set_ha_restart_priority", "best-effort restart ''"),
    custom("memory", Kind::kInteger, &set_memory),
    custom("memoryMax", Kind::kInteger, &set_memory_max),
    entry("notes", Kind::kNullableString, "other_config", "xo:notes", To::kText),
    setter("PV_args", Kind::kString, "set_PV_args"),
    setter("startDelay", Kind::kInteger, "set_start_delay"),
    entry("cpuCap", Kind::kNullableInteger, "VCPUs_params", "cap", To::kText),
    custom("cpuMask", Kind::kNullableIntArray, &set_cpu_mask),
    entry("cpuWeight", Kind::kNullableInteger, "VCPUs_params", "weight", To::kText),
    entry("coresPerSocket", Kind::kNullableInteger, "platform", "cores-per-socket", To::kText),
    entry("expNestedHvm", Kind::kBool, "platform", "exp-nested-hvm", To::kFlag),
    entry("viridian", Kind::kBool, "platform", "viridian", To::kFlag),
    entry("vga", Kind::kEnum, "platform", "vga", To::kText, "std cirrus"),
    custom("videoram", Kind::kInteger, &set_videoram),
    custom("suspendSr", Kind::kNullableString, &set_suspend_sr),
    custom("memoryMin", Kind::kInteger, &set_memory_min),
    custom("memoryStaticMax", Kind::kInteger, &set_memory_static_max),
    setter("hasVendorDevice", Kind::kBool, "set_has_vendor_device"),
    // VM.set_domain_type also derives HVM_boot_policy (xapi), as XO relies on.
    setter("virtualizationMode", Kind::kEnum, "set_domain_type", "pv hvm"),
    custom("hvmBootFirmware", Kind::kNullableEnum, &set_hvm_boot_firmware, "bios uefi"),
    entry("nestedVirt", Kind::kBool, "platform", "nested-virt", To::kFlag),
    entry("nicType", Kind::kNullableString, "platform", "nic_type", To::kText),
    entry("secureBoot", Kind::kBool, "platform", "secureboot", To::kBoolText),
    setter("uefiMode", Kind::kEnum, "set_uefi_mode", "setup user"),
    custom("xenStoreData", Kind::kXenstoreMap, &set_xenstore_data),
    custom("creation", Kind::kStringFields, &set_creation, "user"),
    custom("resourceSet", Kind::kNullableString, &no_call),
    custom("share", Kind::kBool, &no_call),
};
constexpr Key kVdiKeys[] = {custom("size", Kind::kInteger, &resize)};
// VIF: XO's rateLimit (kB/s; null removes it) and txChecksumming (other_config ethtool-tx).
constexpr Key kVifKeys[] = {
    setter("lockingMode", Kind::kEnum, "set_locking_mode", "network_default locked unlocked disabled"),
    custom("allowedIpv4Addresses", Kind::kIpv4Array, &set_ipv4_allowed),
    custom("allowedIpv6Addresses", Kind::kIpv6Array, &set_ipv6_allowed),
    custom("rateLimit", Kind::kNullableInteger, &set_rate_limit),
    entry("txChecksumming", Kind::kBool, "other_config", "ethtool-tx", To::kBoolText),
};
// clang-format on

// The key tables of a collection, in the order their calls are made.
std::vector<std::span<const Key>> tables_of(std::string_view collection) {
  if (collection == "vifs") return {kVifKeys};
  if (collection == "vms") return {kVmKeys, kSnakeKeys};
  if (collection == "vdis" || collection == "vdi-snapshots") return {kSnakeKeys, kVdiKeys};
  return {kSnakeKeys};
}

const Key* find_key(const std::vector<std::span<const Key>>& tables, std::string_view name) {
  for (auto table : tables) {
    for (const Key& k : table) {
      if (k.name == name) return &k;
    }
  }
  return nullptr;
}

// Resource sets (limits, members, their ACLs) are kept in XO's database, and xapi-rest has
// none: moving a VM into one or sharing it is refused (501) before anything changes; what
// changes nothing in XO either (resourceSet null on a VM in no set, share false) is accepted.
std::string xo_only_refusal(const Target& target, const rapidjson::Value& body) {
  auto rs = body.FindMember("resourceSet");
  auto share = body.FindMember("share");
  rapidjson::Document cached;
  cached.Parse(target.json.data(), target.json.size());
  const bool in_a_set = cached.IsObject() && cached.HasMember("resourceSet");
  if ((rs != body.MemberEnd() && (!rs->value.IsNull() || in_a_set)) ||
      (share != body.MemberEnd() && share->value.IsBool() && share->value.GetBool())) {
    return "resource sets are Xen Orchestra's (kept in its own database with their limits and members): "
           "xapi-rest has none, so resourceSet and share are not implemented";
  }
  return {};
}

}  // namespace

std::string json_text(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

Result<PatchPlan> plan_patch(Context& ctx, const Target& target, const rapidjson::Value& body) {
  const auto tables = tables_of(target.collection);
  FieldErrors errors;
  for (const auto& m : body.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const std::string path = "body." + std::string(name);
    const Key* key = find_key(tables, name);
    if (key == nullptr) {
      errors.add(path, "\"" + std::string(name) + "\" is an excess property and therefore is not allowed",
                 json_text(m.name));
      continue;
    }
    (void)check_kind(path, key->kind, key->values, m.value, &errors);
  }
  if (target.collection == "vms") check_limits(body, &errors);
  if (!errors.empty()) return errors.status();
  PatchPlan plan;
  plan.not_implemented = xo_only_refusal(target, body);
  if (!plan.not_implemented.empty()) return plan;
  // Valid: the calls, table by table in each table's order (XO's), whatever the body's order.
  Env env{ctx, target, body, std::nullopt, false};
  for (auto table : tables) {
    for (const Key& key : table) {
      auto it = body.FindMember(rapidjson::StringRef(key.name.data(), key.name.size()));
      if (it == body.MemberEnd()) continue;
      XR_RETURN_IF_ERROR(key.build != nullptr ? key.build(env, it->value, &plan.ops) : build_call(env, key, it->value, &plan.ops));
    }
  }
  return plan;
}

}  // namespace xr::app

#include "routes/patch_body.h"

#include <arpa/inet.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string_view>

#include "worker/cache_access.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

using xapi::Value;

enum class Kind {
  kString,
  kNullableString,
  kStringArray,
  kBool,
  kInteger,   // a JSON number with no fraction
  kNumber,    // a number, or a string (XO's sizes "2 GiB" are not parsed: numbers only here)
  kEnum,      // a string among Key::values
  kOpMap,     // {operation: true | false | null | "reason"}
  kNullableInteger,   // an integer >= 0, or null (removes the setting)
  kNullableIntArray,  // an array of integers >= 0, or null
  kNullableEnum,      // kEnum, or null (removes the setting)
  kStringFields,      // an object whose members, among Key::values, are strings
  kXenstoreMap,       // {key: string | null}, keys inside the VM's vm-data/ namespace
  kIpv4Array,         // an array of IPv4 addresses or CIDRs (what XAPI accepts)
  kIpv6Array,         // an array of IPv6 addresses or CIDRs
};

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

struct Key {
  std::string_view name;
  Kind kind;
  Build build;
  std::string_view values = {};  // kEnum: the accepted values, space-separated ("" allowed as "''")
};

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
int64_t int_of(const rapidjson::Value& v) { return v.IsInt64() ? v.GetInt64() : static_cast<int64_t>(v.GetDouble()); }
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

Status set_name_label(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_name_label", {str_of(v)});
  return Status::ok();
}
Status set_name_description(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_name_description", {str_of(v)});
  return Status::ok();
}
Status set_tags(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_tags", {strings_of(v)});
  return Status::ok();
}
Status set_auto_poweron(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "other_config", "auto_poweron", v.GetBool() ? std::optional<std::string>("true") : std::nullopt);
  return Status::ok();
}
Status set_high_availability(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_ha_restart_priority", {str_of(v)});
  return Status::ok();
}
Status set_affinity_host(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(std::string host_ref, ref_or_null(e, "hosts", "host", v));
  add(ops, e, "set_affinity", {Value::string(host_ref)});
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
Status set_start_delay(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_start_delay", {Value::integer(int_of(v))});
  return Status::ok();
}
Status set_notes(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "other_config", "xo:notes",
             v.IsString() ? std::optional<std::string>(std::string(v.GetString(), v.GetStringLength())) : std::nullopt);
  return Status::ok();
}
Status set_pv_args(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_PV_args", {str_of(v)});
  return Status::ok();
}
// XO's cpus: the live count of a running VM, else the count at startup (raising the maximum
// first when it is lower, as XO's limits handling does).
Status set_cpus(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  XR_ASSIGN_OR_RETURN(const Value* rec, e.xapi_record());
  const int64_t n = int_of(v);
  if (rec->get_string("power_state") == "Running") {
    add(ops, e, "set_VCPUs_number_live", {Value::integer(n)});
    return Status::ok();
  }
  if (n > body_int(e, "cpusStaticMax").value_or(record_int(*rec, "VCPUs_max"))) {
    add(ops, e, "set_VCPUs_max", {Value::integer(n)});
  }
  add(ops, e, "set_VCPUs_at_startup", {Value::integer(n)});
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
Status resize(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "resize", {Value::integer(int_of(v))});
  return Status::ok();
}
Status set_locking_mode(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_locking_mode", {str_of(v)});
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

// xen-api's update_<map>(key, value) with XO's value conversions: null removes the key.
std::optional<std::string> int_text(const rapidjson::Value& v) {
  return v.IsNull() ? std::nullopt : std::optional<std::string>(std::to_string(int_of(v)));
}
std::optional<std::string> flag_text(const rapidjson::Value& v) {
  return v.GetBool() ? std::optional<std::string>("true") : std::nullopt;
}
Status set_cpu_cap(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "VCPUs_params", "cap", int_text(v));
  return Status::ok();
}
Status set_cpu_weight(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "VCPUs_params", "weight", int_text(v));
  return Status::ok();
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
Status set_cores_per_socket(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "cores-per-socket", int_text(v));
  return Status::ok();
}
Status set_exp_nested_hvm(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "exp-nested-hvm", flag_text(v));
  return Status::ok();
}
Status set_viridian(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "viridian", flag_text(v));
  return Status::ok();
}
Status set_vga(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "vga", std::string(v.GetString(), v.GetStringLength()));
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
Status set_has_vendor_device(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_has_vendor_device", {Value::boolean(v.GetBool())});
  return Status::ok();
}
// VM.set_domain_type also derives HVM_boot_policy (xapi), as XO relies on.
Status set_virtualization_mode(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_domain_type", {str_of(v)});
  return Status::ok();
}
// The firmware, and the device model that goes with it (XO's hvmBootFirmware).
Status set_hvm_boot_firmware(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  const std::optional<std::string> firmware = text_or_null(v);
  update_map(ops, e, "HVM_boot_params", "firmware", firmware);
  update_map(ops, e, "platform", "device-model",
             std::string("qemu-upstream-") + (firmware == "uefi" ? "uefi" : "compat"));
  return Status::ok();
}
Status set_nested_virt(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "nested-virt", flag_text(v));
  return Status::ok();
}
Status set_nic_type(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "nic_type", text_or_null(v));
  return Status::ok();
}
Status set_secure_boot(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "platform", "secureboot", v.GetBool() ? "true" : "false");
  return Status::ok();
}
Status set_uefi_mode(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_uefi_mode", {str_of(v)});
  return Status::ok();
}
// XO keeps the guest's keys in the vm-data/ namespace: a "vm-data/" prefix is not repeated.
std::string_view xenstore_suffix(std::string_view key) {
  while (key.starts_with("vm-data/")) key.remove_prefix(8);
  return key;
}
bool xenstore_key_ok(std::string_view key) {
  const std::string_view k = xenstore_suffix(key);
  return !k.empty() && k.find("..") == std::string_view::npos && k.front() != '/';
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

// VIF: XO's rateLimit (kB/s; null removes it) and txChecksumming (other_config ethtool-tx).
Status set_rate_limit(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  add(ops, e, "set_qos_algorithm_type", {str(v.IsNull() ? "" : "ratelimit")});
  update_map(ops, e, "qos_algorithm_params", "kbps", int_text(v));
  return Status::ok();
}
Status set_tx_checksumming(Env& e, const rapidjson::Value& v, std::vector<XapiOp>* ops) {
  update_map(ops, e, "other_config", "ethtool-tx", v.GetBool() ? "true" : "false");
  return Status::ok();
}

// clang-format off
// The seed's keys (legacy XO, every XAPI collection with names).
constexpr Key kSnakeKeys[] = {
    {"name_label", Kind::kString, &set_name_label},
    {"name_description", Kind::kString, &set_name_description},
    {"tags", Kind::kStringArray, &set_tags},
};
// Current XO's PATCH /vms/{id} keys, in the order its editVm applies them.
constexpr Key kVmKeys[] = {
    {"nameLabel", Kind::kString, &set_name_label},
    {"nameDescription", Kind::kString, &set_name_description},
    {"tags", Kind::kStringArray, &set_tags},
    {"affinityHost", Kind::kNullableString, &set_affinity_host},
    {"autoPoweron", Kind::kBool, &set_auto_poweron},
    {"blockedOperations", Kind::kOpMap, &set_blocked_operations},
    {"cpusStaticMax", Kind::kInteger, &set_cpus_static_max},
    {"cpus", Kind::kInteger, &set_cpus},
    {"highAvailability", Kind::kEnum, &set_high_availability, "best-effort restart ''"},
    {"memory", Kind::kInteger, &set_memory},
    {"memoryMax", Kind::kInteger, &set_memory_max},
    {"notes", Kind::kNullableString, &set_notes},
    {"PV_args", Kind::kString, &set_pv_args},
    {"startDelay", Kind::kInteger, &set_start_delay},
    {"cpuCap", Kind::kNullableInteger, &set_cpu_cap},
    {"cpuMask", Kind::kNullableIntArray, &set_cpu_mask},
    {"cpuWeight", Kind::kNullableInteger, &set_cpu_weight},
    {"coresPerSocket", Kind::kNullableInteger, &set_cores_per_socket},
    {"expNestedHvm", Kind::kBool, &set_exp_nested_hvm},
    {"viridian", Kind::kBool, &set_viridian},
    {"vga", Kind::kEnum, &set_vga, "std cirrus"},
    {"videoram", Kind::kInteger, &set_videoram},
    {"suspendSr", Kind::kNullableString, &set_suspend_sr},
    {"memoryMin", Kind::kInteger, &set_memory_min},
    {"memoryStaticMax", Kind::kInteger, &set_memory_static_max},
    {"hasVendorDevice", Kind::kBool, &set_has_vendor_device},
    {"virtualizationMode", Kind::kEnum, &set_virtualization_mode, "pv hvm"},
    {"hvmBootFirmware", Kind::kNullableEnum, &set_hvm_boot_firmware, "bios uefi"},
    {"nestedVirt", Kind::kBool, &set_nested_virt},
    {"nicType", Kind::kNullableString, &set_nic_type},
    {"secureBoot", Kind::kBool, &set_secure_boot},
    {"uefiMode", Kind::kEnum, &set_uefi_mode, "setup user"},
    {"xenStoreData", Kind::kXenstoreMap, &set_xenstore_data},
    {"creation", Kind::kStringFields, &set_creation, "user"},
    {"resourceSet", Kind::kNullableString, &no_call},
    {"share", Kind::kBool, &no_call},
};
constexpr Key kVdiKeys[] = {{"size", Kind::kInteger, &resize}};
constexpr Key kVifKeys[] = {
    {"lockingMode", Kind::kEnum, &set_locking_mode, "network_default locked unlocked disabled"},
    {"allowedIpv4Addresses", Kind::kIpv4Array, &set_ipv4_allowed},
    {"allowedIpv6Addresses", Kind::kIpv6Array, &set_ipv6_allowed},
    {"rateLimit", Kind::kNullableInteger, &set_rate_limit},
    {"txChecksumming", Kind::kBool, &set_tx_checksumming},
};
// clang-format on

// The key tables of a collection, in the order their calls are made.
std::vector<std::span<const Key>> tables_of(std::string_view collection) {
  if (collection == "vifs") return {kVifKeys};
  if (collection == "vms") return {kVmKeys, kSnakeKeys};
  if (collection == "vdis" || collection == "vdi-snapshots") return {kSnakeKeys, kVdiKeys};
  return {kSnakeKeys};
}

bool enum_has(std::string_view values, std::string_view v) {
  while (!values.empty()) {
    const size_t sp = values.find(' ');
    std::string_view item = values.substr(0, sp);
    if (item == "''") item = "";
    if (item == v) return true;
    if (sp == std::string_view::npos) break;
    values.remove_prefix(sp + 1);
  }
  return false;
}

// XAPI's check of allowed addresses (Helpers.assert_is_valid_ip_addr): an address of the
// family, or one with a prefix length (CIDR); anything else is INVALID_IP_ADDRESS_SPECIFIED.
bool is_ip_or_cidr(const rapidjson::Value& v, int family) {
  std::string text(v.GetString(), v.GetStringLength());
  const size_t slash = text.find('/');
  if (slash != std::string::npos) {
    const std::string len = text.substr(slash + 1);
    const int max = family == AF_INET ? 32 : 128;
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(len) > max) {
      return false;
    }
    text.resize(slash);
  }
  unsigned char addr[sizeof(in6_addr)];
  return inet_pton(family, text.c_str(), addr) == 1;
}

// Checks `v` against the key; adds the field errors of what is wrong.
bool check_kind(std::string_view path, const Key& key, const rapidjson::Value& v, FieldErrors* errors) {
  auto fail = [&](std::string_view message) {
    errors->add(path, message, json_text(v));
    return false;
  };
  switch (key.kind) {
    case Kind::kString: return v.IsString() || fail("invalid string value");
    case Kind::kNullableString: return v.IsString() || v.IsNull() || fail("invalid string value");
    case Kind::kBool: return v.IsBool() || fail("invalid boolean value");
    case Kind::kNumber: return v.IsNumber() || fail("invalid float number");
    case Kind::kInteger:
      if (!v.IsNumber() || (!v.IsInt64() && std::floor(v.GetDouble()) != v.GetDouble())) return fail("invalid integer number");
      return int_of(v) >= 0 || fail("invalid integer number");
    case Kind::kNullableInteger:
      if (v.IsNull()) return true;
      if (!v.IsNumber() || (!v.IsInt64() && std::floor(v.GetDouble()) != v.GetDouble())) return fail("invalid integer number");
      return int_of(v) >= 0 || fail("invalid integer number");
    case Kind::kNullableIntArray: {
      if (v.IsNull()) return true;
      if (!v.IsArray()) return fail("invalid array");
      bool ok = true;
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        if (v[i].IsInt64() && v[i].GetInt64() >= 0) continue;
        errors->add(std::string(path) + ".$" + std::to_string(i), "invalid integer number", json_text(v[i]));
        ok = false;
      }
      return ok;
    }
    case Kind::kNullableEnum:
      if (v.IsNull()) return true;
      [[fallthrough]];
    case Kind::kEnum:
      if (v.IsString() && enum_has(key.values, std::string_view(v.GetString(), v.GetStringLength()))) return true;
      return fail("should be one of the following; ['" + std::string(key.values) + "']");
    case Kind::kStringArray:
    case Kind::kIpv4Array:
    case Kind::kIpv6Array: {
      if (!v.IsArray()) return fail("invalid array");
      bool ok = true;
      for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
        const char* bad = !v[i].IsString() ? "invalid string value"
                          : key.kind == Kind::kIpv4Array && !is_ip_or_cidr(v[i], AF_INET) ? "invalid IPv4 address or CIDR"
                          : key.kind == Kind::kIpv6Array && !is_ip_or_cidr(v[i], AF_INET6) ? "invalid IPv6 address or CIDR"
                                                                                            : nullptr;
        if (bad == nullptr) continue;
        errors->add(std::string(path) + ".$" + std::to_string(i), bad, json_text(v[i]));
        ok = false;
      }
      return ok;
    }
    case Kind::kStringFields: {
      if (!v.IsObject()) return fail("invalid object");
      bool ok = true;
      for (const auto& m : v.GetObject()) {
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const std::string member = std::string(path) + "." + std::string(name);
        if (!enum_has(key.values, name)) {
          errors->add(member, "\"" + std::string(name) + "\" is an excess property and therefore is not allowed",
                      json_text(m.name));
          ok = false;
        } else if (!m.value.IsString()) {
          errors->add(member, "invalid string value", json_text(m.value));
          ok = false;
        }
      }
      return ok;
    }
    case Kind::kXenstoreMap: {
      if (!v.IsObject()) return fail("invalid object");
      bool ok = true;
      for (const auto& m : v.GetObject()) {
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const std::string member = std::string(path) + "." + std::string(name);
        if (!xenstore_key_ok(name)) {
          errors->add(member, "invalid xenstore key: not empty, no '..', not absolute", json_text(m.name));
          ok = false;
        } else if (!m.value.IsString() && !m.value.IsNull()) {
          errors->add(member, "invalid string value", json_text(m.value));
          ok = false;
        }
      }
      return ok;
    }
    case Kind::kOpMap: {
      if (!v.IsObject()) return fail("invalid object");
      bool ok = true;
      for (const auto& m : v.GetObject()) {
        if (m.value.IsBool() || m.value.IsString() || m.value.IsNull()) continue;
        errors->add(std::string(path) + "." + m.name.GetString(), "invalid boolean, string or null value",
                    json_text(m.value));
        ok = false;
      }
      return ok;
    }
  }
  return false;
}

const Key* find_key(const std::vector<std::span<const Key>>& tables, std::string_view name) {
  for (auto table : tables) {
    for (const Key& k : table) {
      if (k.name == name) return &k;
    }
  }
  return nullptr;
}

// Limits the body sets together must already agree: XAPI would refuse them half-applied.
// cpus <= cpusStaticMax (>= 1); memoryMin <= memoryMax (or memory) <= memoryStaticMax.
void check_limits(const rapidjson::Value& body, FieldErrors* errors) {
  auto get = [&](const char* key) -> std::optional<int64_t> {  // values of a wrong type are reported already
    auto it = body.FindMember(key);
    if (it == body.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    const rapidjson::Value& v = it->value;
    if ((!v.IsInt64() && std::floor(v.GetDouble()) != v.GetDouble()) || int_of(v) < 0) return std::nullopt;
    return int_of(v);
  };
  auto refuse = [&](const char* key, std::string_view message) {
    errors->add(std::string("body.") + key, message, json_text(body[key]));
  };
  const auto cpus = get("cpus"), cpus_max = get("cpusStaticMax");
  if (cpus_max && *cpus_max < 1) refuse("cpusStaticMax", "should be at least 1");
  if (cpus && cpus_max && *cpus > *cpus_max) refuse("cpus", "should not be above cpusStaticMax");
  const char* dyn_key = body.HasMember("memoryMax") ? "memoryMax" : "memory";
  const auto min = get("memoryMin"), dyn_max = get(dyn_key), static_max = get("memoryStaticMax");
  if (min && dyn_max && *min > *dyn_max) refuse("memoryMin", std::string("should not be above ") + dyn_key);
  if (dyn_max && static_max && *dyn_max > *static_max) refuse(dyn_key, "should not be above memoryStaticMax");
  if (min && static_max && !dyn_max && *min > *static_max) refuse("memoryMin", "should not be above memoryStaticMax");
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
    (void)check_kind(path, *key, m.value, &errors);
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
      if (it != body.MemberEnd()) XR_RETURN_IF_ERROR(key.build(env, it->value, &plan.ops));
    }
  }
  return plan;
}

}  // namespace xr::app

#include "routes/create_routes.h"

#include <rapidjson/document.h>

#include <set>
#include <span>
#include <string>
#include <vector>

#include "routes/collection_routes.h"
#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "routes/mutation_target.h"
#include "routes/patch_body.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

using xapi::Member;
using xapi::Value;

enum class Kind { kString, kBool, kInteger, kStringMap, kStringArray, kRef };

// One body key: its type, whether it is required, the XAPI record field it fills, and for
// kRef the collection its XO id names.
struct Field {
  std::string_view name;
  Kind kind;
  bool required;
  std::string_view xapi_field;
  std::string_view collection = {};
};

// clang-format off
constexpr Field kVdiFields[] = {
    {"srId", Kind::kRef, true, "SR", "srs"},
    {"virtual_size", Kind::kInteger, true, "virtual_size"},
    {"name_label", Kind::kString, false, "name_label"},
    {"name_description", Kind::kString, false, "name_description"},
    {"tags", Kind::kStringArray, false, "tags"},
    {"type", Kind::kString, false, "type"},
    {"read_only", Kind::kBool, false, "read_only"},
    {"sharable", Kind::kBool, false, "sharable"},
    {"xenstore_data", Kind::kStringMap, false, "xenstore_data"},
    {"other_config", Kind::kStringMap, false, "other_config"},
    {"sm_config", Kind::kStringMap, false, "sm_config"},
};
constexpr Field kVbdFields[] = {
    {"VM", Kind::kRef, true, "VM", "vms"},
    {"VDI", Kind::kRef, true, "VDI", "vdis"},
    {"type", Kind::kString, false, "type"},
    {"mode", Kind::kString, false, "mode"},
    {"bootable", Kind::kBool, false, "bootable"},
    {"empty", Kind::kBool, false, "empty"},
    {"unpluggable", Kind::kBool, false, "unpluggable"},
    {"userdevice", Kind::kString, false, "userdevice"},
    {"other_config", Kind::kStringMap, false, "other_config"},
    {"qos_algorithm_type", Kind::kString, false, "qos_algorithm_type"},
    {"qos_algorithm_params", Kind::kStringMap, false, "qos_algorithm_params"},
};
constexpr Field kVifFields[] = {
    {"vmId", Kind::kRef, true, "VM", "vms"},
    {"networkId", Kind::kRef, true, "network", "networks"},
    {"MAC", Kind::kString, false, "MAC"},
    {"device", Kind::kString, false, "device"},
    {"MTU", Kind::kInteger, false, "MTU"},
    {"currently_attached", Kind::kBool, false, "currently_attached"},
    {"ipv4_allowed", Kind::kStringArray, false, "ipv4_allowed"},
    {"ipv6_allowed", Kind::kStringArray, false, "ipv6_allowed"},
    {"locking_mode", Kind::kString, false, "locking_mode"},
    {"qos_algorithm_type", Kind::kString, false, "qos_algorithm_type"},
    {"qos_algorithm_params", Kind::kStringMap, false, "qos_algorithm_params"},
    {"other_config", Kind::kStringMap, false, "other_config"},
};
// clang-format on

struct Spec {
  std::string_view collection;
  std::string_view xapi_class;
  std::span<const Field> fields;
  // XAPI's required record fields that XO fills with defaults when the body has none.
  const char* defaults;
};

constexpr Spec kSpecs[] = {
    {"vdis", "VDI", kVdiFields,
     R"({"name_label":"","name_description":"","type":"user","read_only":false,"sharable":false,"other_config":{},"sm_config":{},"xenstore_data":{},"tags":[]})"},
    {"vbds", "VBD", kVbdFields,
     R"({"type":"Disk","mode":"RW","bootable":false,"empty":false,"unpluggable":true,"userdevice":"autodetect","other_config":{},"qos_algorithm_type":"","qos_algorithm_params":{}})"},
    {"vifs", "VIF", kVifFields,
     R"({"MAC":"","MTU":1500,"other_config":{},"qos_algorithm_type":"","qos_algorithm_params":{},"locking_mode":"network_default","ipv4_allowed":[],"ipv6_allowed":[]})"},
};

bool kind_ok(Kind kind, const rapidjson::Value& v) {
  switch (kind) {
    case Kind::kString:
    case Kind::kRef: return v.IsString();
    case Kind::kBool: return v.IsBool();
    case Kind::kInteger: return v.IsInt64() && v.GetInt64() >= 0;
    case Kind::kStringArray:
      if (!v.IsArray()) return false;
      for (const auto& i : v.GetArray()) {
        if (!i.IsString()) return false;
      }
      return true;
    case Kind::kStringMap:
      if (!v.IsObject()) return false;
      for (const auto& m : v.GetObject()) {
        if (!m.value.IsString()) return false;
      }
      return true;
  }
  return false;
}

std::string_view kind_message(Kind kind) {
  switch (kind) {
    case Kind::kBool: return "invalid boolean value";
    case Kind::kInteger: return "invalid integer number";
    case Kind::kStringArray: return "invalid array";
    case Kind::kStringMap: return "invalid object";
    default: return "invalid string value";
  }
}

Value to_value(const rapidjson::Value& v) {
  if (v.IsString()) return Value::string(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsBool()) return Value::boolean(v.GetBool());
  if (v.IsInt64()) return Value::integer(v.GetInt64());
  if (v.IsArray()) {
    Value::Array items;
    for (const auto& i : v.GetArray()) items.push_back(to_value(i));
    return Value::array(std::move(items));
  }
  Value s = Value::structure();
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) s.add_member(m.name.GetString(), to_value(m.value));
  }
  return s;
}

// The first VIF device number the VM does not use (XO takes VM.get_allowed_VIF_devices[0]).
Result<std::string> free_vif_device(Context& ctx, const std::string& pool, const std::string& vm_ref) {
  XR_ASSIGN_OR_RETURN(Value vifs, ctx.svc.writes->call(pool, "VM.get_VIFs", {Value::string(vm_ref)}));
  std::set<std::string> used;
  XR_ASSIGN_OR_RETURN(const Value::Array* list, vifs.as_array());
  for (const Value& vif : *list) {
    XR_ASSIGN_OR_RETURN(Value dev, ctx.svc.writes->call(pool, "VIF.get_device", {vif}));
    if (auto d = dev.as_string(); d.is_ok()) used.emplace(*d);
  }
  for (int i = 0;; ++i) {
    if (!used.count(std::to_string(i))) return std::to_string(i);
  }
}

}  // namespace

Status create_object(Context& ctx) {
  if (ctx.svc.writes == nullptr) return Status(ErrorKind::kUnavailable, "no XAPI access in this process");
  const std::string& collection = ctx.req.segments()[2];
  const Spec* spec = nullptr;
  for (const Spec& s : kSpecs) {
    if (s.collection == collection) spec = &s;
  }
  if (spec == nullptr) return Status(ErrorKind::kNotFound, "Cannot POST " + ctx.req.raw_path());
  rapidjson::Document body;
  XR_RETURN_IF_ERROR(read_json_object(ctx, &body));
  // 1. The whole body: unknown keys, types, required keys.
  FieldErrors errors;
  for (const auto& m : body.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const Field* f = nullptr;
    for (const Field& x : spec->fields) {
      if (x.name == name) f = &x;
    }
    if (f == nullptr) {
      errors.add("body." + std::string(name),
                 "\"" + std::string(name) + "\" is an excess property and therefore is not allowed", json_text(m.name));
    } else if (!kind_ok(f->kind, m.value)) {
      errors.add("body." + std::string(name), kind_message(f->kind), json_text(m.value));
    }
  }
  for (const Field& f : spec->fields) {
    if (f.required && !body.HasMember(rapidjson::StringRef(f.name.data(), f.name.size()))) {
      errors.add("body." + std::string(f.name), "'" + std::string(f.name) + "' is required", "null");
    }
  }
  if (!errors.empty()) return errors.status();
  // 2. The objects it names (404 when absent), all in one pool.
  rapidjson::Document defaults;
  defaults.Parse(spec->defaults);
  Value record = to_value(defaults);
  Value filled = Value::structure();
  std::string pool, pool_ref, vm_ref;
  for (const Field& f : spec->fields) {
    auto it = body.FindMember(rapidjson::StringRef(f.name.data(), f.name.size()));
    if (it == body.MemberEnd()) continue;
    if (f.kind != Kind::kRef) {
      filled.add_member(std::string(f.xapi_field), to_value(it->value));
      continue;
    }
    Target t;
    XR_RETURN_IF_ERROR(resolve_target(ctx, f.collection, it->value.GetString(), &t));
    if (!pool.empty() && t.pool != pool) {
      FieldErrors e;
      e.add("body." + std::string(f.name), "not in the same pool as the other objects", json_text(it->value));
      return e.status();
    }
    pool = t.pool;
    pool_ref = t.pool_ref;
    if (f.xapi_field == "VM") vm_ref = t.ref;
    filled.add_member(std::string(f.xapi_field), Value::string(t.ref));
  }
  // Body values over the defaults.
  Value::Struct merged = **filled.as_struct();
  for (const Member& d : **record.as_struct()) {
    bool given = false;
    for (const Member& m : merged) given = given || m.name == d.name;
    if (!given) merged.push_back(d);
  }
  if (spec->xapi_class == "VIF") {
    bool has_device = false;
    for (const Member& m : merged) has_device = has_device || m.name == "device";
    if (!has_device) {
      XR_ASSIGN_OR_RETURN(std::string dev, free_vif_device(ctx, pool, vm_ref));
      merged.push_back({"device", Value::string(dev)});
    }
  }
  // 3. One create call, then the barrier.
  XR_ASSIGN_OR_RETURN(Value ref, ctx.svc.writes->call(pool, std::string(spec->xapi_class) + ".create",
                                                      {Value::structure(std::move(merged))}));
  XR_ASSIGN_OR_RETURN(Value uuid, ctx.svc.writes->call(pool, std::string(spec->xapi_class) + ".get_uuid", {ref}));
  XR_ASSIGN_OR_RETURN(std::string_view id, uuid.as_string());
  XR_RETURN_IF_ERROR(wait_for_cache(ctx, pool, pool_ref));
  ctx.res.add_header("Location", "/rest/v0/" + std::string(collection) + "/" + std::string(id));
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":\"" + std::string(id) + "\"}");
  return Status::ok();
}

}  // namespace xr::app

#include "routes/patch_check.h"

#include <arpa/inet.h>

#include <cmath>
#include <optional>
#include <string>

#include "routes/patch_body.h"

namespace xr::app {

namespace {

bool xenstore_key_ok(std::string_view key) {
  const std::string_view k = xenstore_suffix(key);
  return !k.empty() && k.find("..") == std::string_view::npos && k.front() != '/';
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

// What is wrong with one member of an object value ("" when nothing), and whether the
// error names the member (its key is reported) or its value.
struct Fault {
  std::string message;
  bool in_name;
};
template <typename Check>
bool check_members(std::string_view path, const rapidjson::Value& v, FieldErrors* errors,
                   Check check) {
  bool ok = true;
  for (const auto& m : v.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const Fault f = check(name, m.value);
    if (f.message.empty()) continue;
    errors->add(std::string(path) + "." + std::string(name), f.message,
                json_text(f.in_name ? m.name : m.value));
    ok = false;
  }
  return ok;
}

// An array value's items checked one by one: `check(item)` is what is wrong (nullptr: nothing).
template <typename Check>
bool check_items(std::string_view path, const rapidjson::Value& v, FieldErrors* errors,
                 Check check) {
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    const char* message = check(v[i]);
    if (message == nullptr) continue;
    errors->add(std::string(path) + ".$" + std::to_string(i), message, json_text(v[i]));
    ok = false;
  }
  return ok;
}

}  // namespace

int64_t int_of(const rapidjson::Value& v) {
  return v.IsInt64() ? v.GetInt64() : static_cast<int64_t>(v.GetDouble());
}

std::string_view xenstore_suffix(std::string_view key) {
  while (key.starts_with("vm-data/")) key.remove_prefix(8);
  return key;
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

bool check_kind(std::string_view path, Kind kind, std::string_view values,
                const rapidjson::Value& v, FieldErrors* errors) {
  auto fail = [&](std::string_view message) {
    errors->add(path, message, json_text(v));
    return false;
  };
  switch (kind) {
    case Kind::kString:
      return v.IsString() || fail("invalid string value");
    case Kind::kNullableString:
      return v.IsString() || v.IsNull() || fail("invalid string value");
    case Kind::kBool:
      return v.IsBool() || fail("invalid boolean value");
    case Kind::kNumber:
      return v.IsNumber() || fail("invalid float number");
    case Kind::kNullableInteger:
      if (v.IsNull()) return true;
      [[fallthrough]];
    case Kind::kInteger:
      if (!v.IsNumber() || (!v.IsInt64() && std::floor(v.GetDouble()) != v.GetDouble()))
        return fail("invalid integer number");
      return int_of(v) >= 0 || fail("invalid integer number");
    case Kind::kNullableIntArray:
      if (v.IsNull()) return true;
      if (!v.IsArray()) return fail("invalid array");
      return check_items(path, v, errors, [](const rapidjson::Value& item) {
        return item.IsInt64() && item.GetInt64() >= 0 ? nullptr : "invalid integer number";
      });
    case Kind::kNullableEnum:
      if (v.IsNull()) return true;
      [[fallthrough]];
    case Kind::kEnum:
      if (v.IsString() && enum_has(values, std::string_view(v.GetString(), v.GetStringLength())))
        return true;
      return fail("should be one of the following; ['" + std::string(values) + "']");
    case Kind::kStringArray:
    case Kind::kIpv4Array:
    case Kind::kIpv6Array:
      if (!v.IsArray()) return fail("invalid array");
      return check_items(path, v, errors, [kind](const rapidjson::Value& item) -> const char* {
        if (!item.IsString()) return "invalid string value";
        if (kind == Kind::kIpv4Array && !is_ip_or_cidr(item, AF_INET))
          return "invalid IPv4 address or CIDR";
        if (kind == Kind::kIpv6Array && !is_ip_or_cidr(item, AF_INET6))
          return "invalid IPv6 address or CIDR";
        return nullptr;
      });
    case Kind::kStringFields:
      if (!v.IsObject()) return fail("invalid object");
      return check_members(
          path, v, errors, [&](std::string_view name, const rapidjson::Value& value) {
            if (!enum_has(values, name)) {
              return Fault{"\"" + std::string(name) +
                               "\" is an excess property and therefore is not allowed",
                           true};
            }
            return Fault{value.IsString() ? "" : "invalid string value", false};
          });
    case Kind::kXenstoreMap:
      if (!v.IsObject()) return fail("invalid object");
      return check_members(
          path, v, errors, [](std::string_view name, const rapidjson::Value& value) {
            if (!xenstore_key_ok(name))
              return Fault{"invalid xenstore key: not empty, no '..', not absolute", true};
            return Fault{value.IsString() || value.IsNull() ? "" : "invalid string value", false};
          });
    case Kind::kOpMap:
      if (!v.IsObject()) return fail("invalid object");
      return check_members(path, v, errors, [](std::string_view, const rapidjson::Value& value) {
        const bool ok = value.IsBool() || value.IsString() || value.IsNull();
        return Fault{ok ? "" : "invalid boolean, string or null value", false};
      });
  }
  return false;
}

void check_limits(const rapidjson::Value& body, FieldErrors* errors) {
  auto get = [&](const char* key)
      -> std::optional<int64_t> {  // values of a wrong type are reported already
    auto it = body.FindMember(key);
    if (it == body.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
    const rapidjson::Value& v = it->value;
    if ((!v.IsInt64() && std::floor(v.GetDouble()) != v.GetDouble()) || int_of(v) < 0)
      return std::nullopt;
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
  if (min && dyn_max && *min > *dyn_max)
    refuse("memoryMin", std::string("should not be above ") + dyn_key);
  if (dyn_max && static_max && *dyn_max > *static_max)
    refuse(dyn_key, "should not be above memoryStaticMax");
  if (min && static_max && !dyn_max && *min > *static_max)
    refuse("memoryMin", "should not be above memoryStaticMax");
}

}  // namespace xr::app

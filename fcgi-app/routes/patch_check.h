// The value types of PATCH body keys and their checks, with tsoa's messages (every bad
// value reported at once), and the VM limits a body must set consistently. Pure functions;
// any thread.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string_view>

#include "routes/http_errors.h"

namespace xr::app {

enum class Kind {
  kString,
  kNullableString,
  kStringArray,
  kBool,
  kInteger,          // a JSON number with no fraction
  kNumber,           // a number, or a string (XO's sizes "2 GiB" are not parsed: numbers only here)
  kEnum,             // a string among Key::values
  kOpMap,            // {operation: true | false | null | "reason"}
  kNullableInteger,  // an integer >= 0, or null (removes the setting)
  kNullableIntArray,  // an array of integers >= 0, or null
  kNullableEnum,      // kEnum, or null (removes the setting)
  kStringFields,      // an object whose members, among Key::values, are strings
  kXenstoreMap,       // {key: string | null}, keys inside the VM's vm-data/ namespace
  kIpv4Array,         // an array of IPv4 addresses or CIDRs (what XAPI accepts)
  kIpv6Array,         // an array of IPv6 addresses or CIDRs
};

// Checks `v` (at `path`, "body.<key>") against `kind`; adds the field errors of what is
// wrong. `values`: kEnum's accepted values, kStringFields' member names, space-separated
// ("" allowed as "''").
bool check_kind(std::string_view path, Kind kind, std::string_view values,
                const rapidjson::Value& v, FieldErrors* errors);

// Limits the body sets together must already agree (XAPI would refuse them half-applied):
// cpus <= cpusStaticMax (>= 1); memoryMin <= memoryMax (or memory) <= memoryStaticMax.
void check_limits(const rapidjson::Value& body, FieldErrors* errors);

// Whether `v` is one of the space-separated `values`.
bool enum_has(std::string_view values, std::string_view v);
// A JSON number as an integer (checked kInteger values have no fraction).
int64_t int_of(const rapidjson::Value& v);
// A xenstore key without its "vm-data/" prefixes (XO keeps the guest's keys in that namespace).
std::string_view xenstore_suffix(std::string_view key);

}  // namespace xr::app

// Rec: read-only, indexed view of one XAPI record (an xapi::Value struct) with the lenient
// typed getters the mappers need (ints may arrive as strings; absent fields read as
// defaults). Lives only while the record it views lives. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "xapi/value.h"

namespace xr::xo {

class Rec {
 public:
  explicit Rec(const xapi::Value& v);

  const xapi::Value* get(std::string_view name) const;
  std::string_view str(std::string_view name) const;  // "" if absent / not text
  int64_t int_or(std::string_view name, int64_t dflt = 0) const;
  double num_or(std::string_view name, double dflt = 0) const;
  bool boolean(std::string_view name) const;  // false if absent
  std::optional<bool> opt_bool(std::string_view name) const;
  // Member `key` of the map field `name`, as text ("" if absent).
  std::string_view map_str(std::string_view name, std::string_view key) const;
  bool map_has(std::string_view name, std::string_view key) const;
  // Reference field, "" when absent or OpaqueRef:NULL.
  std::string_view ref(std::string_view name) const;
  // A set/array field of strings (refs or names); empty if absent.
  std::vector<std::string_view> strings(std::string_view name) const;
  // A map field as (key, text value) pairs, wire order; empty if absent.
  std::vector<std::pair<std::string_view, std::string_view>> pairs(std::string_view name) const;

 private:
  std::vector<std::pair<std::string_view, const xapi::Value*>> index_;  // sorted by name
};

// Text of a scalar value: string/datetime as is; "" for anything else.
std::string_view text_of(const xapi::Value* v);
// A non-null reference? ("" and OpaqueRef:NULL are null.)
bool is_null_ref(std::string_view ref);
// XAPI datetime ("20250319T04:16:24Z", "2025-03-19T04:16:24.5Z") → Unix seconds; nullopt
// when empty, unparsable or the epoch (XO's toTimestamp turns those into null).
std::optional<double> parse_xapi_time(std::string_view text);

}  // namespace xr::xo

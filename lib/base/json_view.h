// The read-only JSON view concept shared by the filter evaluator (lib/filter), the
// object cache (lib/cache) and tests: anything that exposes a JSON value this way can be
// filtered and projected without being copied. Header only; any thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace xr {

enum class JsonKind { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

// A view V of one JSON value. Views are cheap to copy (a pointer or an offset pair) and
// stay valid as long as the storage they look into.
//   v.kind()                 -> JsonKind
//   v.number()               -> double          REQUIRES kind() == kNumber
//   v.string()               -> std::string_view REQUIRES kind() == kString (UTF-8)
//   v.size()                 -> size_t          elements of an array / members of an object
//   v.at(i)                  -> V               REQUIRES array, i < size()
//   v.key(i)                 -> std::string_view member name i   REQUIRES object
//   v.value(i)               -> V               member value i     REQUIRES object
//   v.find(name, &out)       -> bool            member lookup by exact name REQUIRES object
// Members keep their insertion order (the order XO writes them).
template <typename V>
concept JsonView = std::copyable<V> && requires(const V v, std::size_t i, std::string_view s, V* out) {
  { v.kind() } -> std::same_as<JsonKind>;
  { v.number() } -> std::convertible_to<double>;
  { v.string() } -> std::convertible_to<std::string_view>;
  { v.size() } -> std::convertible_to<std::size_t>;
  { v.at(i) } -> std::same_as<V>;
  { v.key(i) } -> std::convertible_to<std::string_view>;
  { v.value(i) } -> std::same_as<V>;
  { v.find(s, out) } -> std::same_as<bool>;
};

}  // namespace xr

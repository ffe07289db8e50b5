// xapi::Value: one XAPI value as decoded from XML-RPC or JSON-RPC (string, int, bool,
// double, datetime, array, struct, nil), with typed accessors that report a clear error
// on a type mismatch. Plain data: any thread, no shared state.
//
// XML-RPC sends XAPI's 64-bit ints untyped, i.e. as strings: as_int() therefore accepts
// an integer or a decimal string, and the record mappers rely on that.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace xr::xapi {

enum class ValueType { kNil, kString, kInt, kBool, kDouble, kDateTime, kArray, kStruct };
const char* value_type_name(ValueType t);

struct Member;

class Value {
 public:
  using Array = std::vector<Value>;
  using Struct = std::vector<Member>;  // members in wire order

  Value() = default;  // nil
  static Value string(std::string s);
  static Value integer(int64_t i);
  static Value boolean(bool b);
  static Value real(double d);
  // XAPI's compact form "20250319T04:16:24Z" (or dashed RFC 3339) kept as text.
  static Value datetime(std::string s);
  // (Overloads rather than default arguments: clang rejects `= {}` for containers of
  // the still-incomplete Value/Member.)
  static Value array();
  static Value array(Array items);
  static Value structure();
  static Value structure(Struct members);

  ValueType type() const;
  bool is_nil() const { return type() == ValueType::kNil; }
  bool is_string() const { return type() == ValueType::kString; }
  bool is_array() const { return type() == ValueType::kArray; }
  bool is_struct() const { return type() == ValueType::kStruct; }

  // Typed access; each fails with kProtocol naming the expected and actual type.
  Result<std::string_view> as_string() const;  // string or datetime text
  Result<int64_t> as_int() const;              // int, or a string holding a decimal int
  Result<bool> as_bool() const;                // bool only (XAPI never sends "true")
  Result<double> as_double() const;            // double, int, or a numeric string
  Result<const Array*> as_array() const;
  Result<const Struct*> as_struct() const;

  // Struct member by name; nullptr when absent or when this is not a struct.
  const Value* get(std::string_view name) const;
  // Convenience for mappers: the member's string, or `fallback` if absent/not a string.
  std::string_view get_string(std::string_view name, std::string_view fallback = {}) const;

  // Mutable access for builders (codec readers, the simulator-free fakes of unit tests).
  Array* mutable_array();
  Struct* mutable_struct();
  // Appends a member (no duplicate check: XAPI never sends duplicates).
  void add_member(std::string name, Value v);

  bool operator==(const Value& other) const;

 private:
  struct DateTime {
    std::string text;
    bool operator==(const DateTime&) const = default;
  };
  using Storage =
      std::variant<std::monostate, std::string, int64_t, bool, double, DateTime, Array, Struct>;
  Storage v_;
};

struct Member {
  std::string name;
  Value value;
  bool operator==(const Member&) const = default;
};

}  // namespace xr::xapi

#include "xapi/value.h"

#include <charconv>
#include <cstdlib>

namespace xr::xapi {
namespace {
Status mismatch(const char* wanted, ValueType got) {
  return Status(ErrorKind::kProtocol,
                std::string("expected ") + wanted + ", got " + value_type_name(got));
}
}  // namespace

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::kNil:
      return "nil";
    case ValueType::kString:
      return "string";
    case ValueType::kInt:
      return "int";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kDouble:
      return "double";
    case ValueType::kDateTime:
      return "dateTime";
    case ValueType::kArray:
      return "array";
    case ValueType::kStruct:
      return "struct";
  }
  return "?";
}

Value Value::string(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}
Value Value::integer(int64_t i) {
  Value v;
  v.v_ = i;
  return v;
}
Value Value::boolean(bool b) {
  Value v;
  v.v_ = b;
  return v;
}
Value Value::real(double d) {
  Value v;
  v.v_ = d;
  return v;
}
Value Value::datetime(std::string s) {
  Value v;
  v.v_ = DateTime{std::move(s)};
  return v;
}
Value Value::array() {
  Value v;
  v.v_ = Array{};
  return v;
}
Value Value::structure() {
  Value v;
  v.v_ = Struct{};
  return v;
}
Value Value::array(Array items) {
  Value v;
  v.v_ = std::move(items);
  return v;
}
Value Value::structure(Struct members) {
  Value v;
  v.v_ = std::move(members);
  return v;
}

ValueType Value::type() const {
  // Order of the variant's alternatives matches ValueType.
  return static_cast<ValueType>(v_.index());
}

Result<std::string_view> Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&v_)) return std::string_view(*s);
  if (auto* d = std::get_if<DateTime>(&v_)) return std::string_view(d->text);
  return mismatch("string", type());
}

Result<int64_t> Value::as_int() const {
  if (auto* i = std::get_if<int64_t>(&v_)) return *i;
  if (auto* s = std::get_if<std::string>(&v_)) {
    int64_t out = 0;
    const char* end = s->data() + s->size();
    auto [p, ec] = std::from_chars(s->data(), end, out);
    if (ec == std::errc() && p == end && !s->empty()) return out;
    return Status(ErrorKind::kProtocol, "expected int, got string \"" + s->substr(0, 40) + "\"");
  }
  return mismatch("int", type());
}

Result<bool> Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&v_)) return *b;
  return mismatch("boolean", type());
}

Result<double> Value::as_double() const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) {
    if (!s->empty()) {
      char* end = nullptr;
      double d = std::strtod(s->c_str(), &end);
      if (end == s->c_str() + s->size()) return d;
    }
    return Status(ErrorKind::kProtocol, "expected double, got string \"" + s->substr(0, 40) + "\"");
  }
  return mismatch("double", type());
}

Result<const Value::Array*> Value::as_array() const {
  if (auto* a = std::get_if<Array>(&v_)) return a;
  return mismatch("array", type());
}

Result<const Value::Struct*> Value::as_struct() const {
  if (auto* s = std::get_if<Struct>(&v_)) return s;
  return mismatch("struct", type());
}

const Value* Value::get(std::string_view name) const {
  auto* s = std::get_if<Struct>(&v_);
  if (!s) return nullptr;
  for (const Member& m : *s) {
    if (m.name == name) return &m.value;
  }
  return nullptr;
}

std::string_view Value::get_string(std::string_view name, std::string_view fallback) const {
  const Value* v = get(name);
  if (!v) return fallback;
  if (auto* s = std::get_if<std::string>(&v->v_)) return *s;
  if (auto* d = std::get_if<DateTime>(&v->v_)) return d->text;
  return fallback;
}

Value::Array* Value::mutable_array() { return std::get_if<Array>(&v_); }
Value::Struct* Value::mutable_struct() { return std::get_if<Struct>(&v_); }

void Value::add_member(std::string name, Value v) {
  if (!std::holds_alternative<Struct>(v_)) v_ = Struct{};
  std::get<Struct>(v_).push_back(Member{std::move(name), std::move(v)});
}

bool Value::operator==(const Value& other) const { return v_ == other.v_; }

}  // namespace xr::xapi

#include "xo/json_out.h"

#include <cmath>

namespace xr::xo {

using rapidjson::StringRef;
using rapidjson::Value;

rapidjson::Value JsonOut::make_str(std::string_view v) {
  return Value(v.data(), static_cast<rapidjson::SizeType>(v.size()), a_);
}

rapidjson::Value JsonOut::make_num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.2e18) {
    return Value(static_cast<int64_t>(v));
  }
  if (!std::isfinite(v)) return Value();  // JSON.stringify(NaN) → null
  return Value(v);
}

void JsonOut::str(const char* key, std::string_view v) {
  obj_.AddMember(StringRef(key), make_str(v), a_);
}

void JsonOut::str_if(const char* key, std::string_view v) {
  if (!v.empty()) str(key, v);
}

void JsonOut::num(const char* key, double v) { obj_.AddMember(StringRef(key), make_num(v), a_); }

void JsonOut::boolean(const char* key, bool v) { obj_.AddMember(StringRef(key), Value(v), a_); }

void JsonOut::null(const char* key) { obj_.AddMember(StringRef(key), Value(), a_); }

void JsonOut::num_or_null(const char* key, std::optional<double> v) {
  if (v) {
    num(key, *v);
  } else {
    null(key);
  }
}

void JsonOut::value(const char* key, rapidjson::Value&& v) {
  obj_.AddMember(StringRef(key), v, a_);
}

rapidjson::Value JsonOut::make_map(const xapi::Value* v) {
  Value out(rapidjson::kObjectType);
  if (!v) return out;
  auto s = v->as_struct();
  if (!s.is_ok()) return out;
  for (const xapi::Member& m : **s) {
    out.AddMember(make_str(m.name), make_str(text_of(&m.value)), a_);
  }
  return out;
}

rapidjson::Value JsonOut::make_strings(const std::vector<std::string_view>& v) {
  Value out(rapidjson::kArrayType);
  out.Reserve(static_cast<rapidjson::SizeType>(v.size()), a_);
  for (std::string_view s : v) out.PushBack(make_str(s), a_);
  return out;
}

void JsonOut::map(const char* key, const xapi::Value* v) { value(key, make_map(v)); }

void JsonOut::strings(const char* key, const xapi::Value* v) {
  Value out(rapidjson::kArrayType);
  if (v) {
    auto arr = v->as_array();
    if (arr.is_ok()) {
      for (const xapi::Value& e : **arr) out.PushBack(make_str(text_of(&e)), a_);
    }
  }
  value(key, std::move(out));
}

void set_member(rapidjson::Value& obj, const char* key, rapidjson::Value&& v, Alloc& a) {
  auto it = obj.FindMember(key);
  if (it != obj.MemberEnd()) {
    it->value = v;
  } else {
    obj.AddMember(StringRef(key), v, a);
  }
}

}  // namespace xr::xo

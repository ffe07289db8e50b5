#include "actions/params.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

#include "routes/http_errors.h"

namespace xr::app::actions {

namespace {

using rapidjson::Value;

std::string json_text(const Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

std::string_view str(const Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool flag(const Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// The message of XO's (ajv-like) validator for a value of the wrong type, or "" when fine.
std::string check_value(const Value& spec, const Value& v) {
  const std::string_view type = str(spec, "type");
  if (type == "string") {
    if (!v.IsString()) return "must be string";
    auto min = spec.FindMember("minLength");
    const unsigned min_len = min != spec.MemberEnd() && min->value.IsUint() ? min->value.GetUint() : 1;
    if (v.GetStringLength() < min_len) return "must NOT have fewer than " + std::to_string(min_len) + " characters";
  } else if (type == "boolean") {
    if (!v.IsBool()) return "must be boolean";
  } else if (type == "integer") {
    if (!v.IsInt64() && !(v.IsDouble() && v.GetDouble() == static_cast<double>(static_cast<int64_t>(v.GetDouble())))) {
      return "must be integer";
    }
  } else if (type == "number") {
    if (!v.IsNumber()) return "must be number";
  } else if (type == "object") {
    if (!v.IsObject()) return "must be object";
  } else if (type == "array") {
    if (!v.IsArray()) return "must be array";
  }
  if (v.IsNumber()) {
    auto lo = spec.FindMember("minimum");
    if (lo != spec.MemberEnd() && lo->value.IsNumber() && v.GetDouble() < lo->value.GetDouble()) {
      return "must be >= " + json_text(lo->value);
    }
    auto hi = spec.FindMember("maximum");
    if (hi != spec.MemberEnd() && hi->value.IsNumber() && v.GetDouble() > hi->value.GetDouble()) {
      return "must be <= " + json_text(hi->value);
    }
  }
  auto e = spec.FindMember("enum");
  if (e != spec.MemberEnd() && e->value.IsArray()) {
    for (const Value& allowed : e->value.GetArray()) {
      if (allowed == v) return "";
    }
    return "must be equal to one of the allowed values " + json_text(e->value);
  }
  return "";
}

// The body member that spells `name` (exactly, or its camelCase / snake_case form).
const Value* find_spelling(const Value& body, std::string_view name, std::string* spelled) {
  for (const std::string& s : {std::string(name), camel_of(name), snake_of(name)}) {
    auto it = body.FindMember(Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size())));
    if (it != body.MemberEnd()) {
      *spelled = s;
      return &it->value;
    }
  }
  return nullptr;
}

}  // namespace

std::string snake_of(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

std::string camel_of(std::string_view name) {
  std::string out;
  bool up = false;
  for (char c : name) {
    if (c == '_' && !out.empty()) {
      up = true;
    } else {
      out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
  }
  return out;
}

Status validate_params(std::string_view schema_text, const Value& body, rapidjson::Document* out) {
  rapidjson::Document schema;
  if (schema_text.empty()) {
    schema.SetObject();
  } else if (schema.Parse(schema_text.data(), schema_text.size()).HasParseError() || !schema.IsObject()) {
    return Status(ErrorKind::kInternal, "unreadable params schema");
  }
  FieldErrors errors;
  if (!body.IsNull() && !body.IsObject()) {
    errors.add("body", "must be object", json_text(body));
    return errors.status();
  }
  rapidjson::Document result;
  result.SetObject();
  auto& a = result.GetAllocator();
  std::vector<std::string> used;
  for (const auto& m : schema.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const Value& spec = m.value;
    std::string spelled;
    const Value* v = body.IsObject() ? find_spelling(body, name, &spelled) : nullptr;
    if (v == nullptr) {
      auto d = spec.FindMember("default");
      if (d != spec.MemberEnd()) {
        result.AddMember(Value(name.c_str(), a), Value(d->value, a), a);
      } else if (!flag(spec, "optional")) {
        errors.add("body." + name, "must have required property '" + name + "'", "null");
      }
      continue;
    }
    used.push_back(spelled);
    const std::string problem = check_value(spec, *v);
    if (!problem.empty()) {
      errors.add("body." + name, problem, json_text(*v));
      continue;
    }
    result.AddMember(Value(name.c_str(), a), Value(*v, a), a);
  }
  if (body.IsObject()) {
    for (const auto& m : body.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (std::find(used.begin(), used.end(), key) != used.end()) continue;
      errors.add("body." + key, "\"" + key + "\" is an excess property and therefore is not allowed",
                 json_text(m.value));
    }
  }
  if (!errors.empty()) return errors.status();
  out->Swap(result);
  return Status::ok();
}

std::string json_schema_of(std::string_view schema_text) {
  rapidjson::Document schema;
  if (schema_text.empty() || schema.Parse(schema_text.data(), schema_text.size()).HasParseError() ||
      !schema.IsObject()) {
    return R"({"type":"object","additionalProperties":false})";
  }
  rapidjson::Document js;
  js.SetObject();
  auto& a = js.GetAllocator();
  Value props(rapidjson::kObjectType);
  Value required(rapidjson::kArrayType);
  for (const auto& m : schema.GetObject()) {
    Value p(rapidjson::kObjectType);
    for (const auto& k : m.value.GetObject()) {
      const std::string_view key(k.name.GetString(), k.name.GetStringLength());
      if (key == "optional") continue;
      p.AddMember(Value(k.name, a), Value(k.value, a), a);
    }
    if (!flag(m.value, "optional") && !m.value.HasMember("default")) required.PushBack(Value(m.name, a), a);
    props.AddMember(Value(m.name, a), p, a);
  }
  js.AddMember("type", "object", a);
  js.AddMember("properties", props, a);
  if (!required.Empty()) js.AddMember("required", required, a);
  js.AddMember("additionalProperties", false, a);
  return json_text(js);
}

}  // namespace xr::app::actions

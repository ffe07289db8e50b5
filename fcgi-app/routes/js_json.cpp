#include "routes/js_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

namespace xr::app {

namespace {

// A canonical array index: "0" or digits without a leading zero, below 2^32 - 1.
bool array_index(std::string_view k, uint64_t* n) {
  if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v >= 4294967295ull) return false;
  *n = v;
  return true;
}

void append_string(std::string_view s, std::string& out) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  out.append(b.GetString(), b.GetSize());
}

void append_number(const rapidjson::Value& v, std::string& out) {
  if (v.IsInt64()) {
    out.append(std::to_string(v.GetInt64()));
    return;
  }
  if (v.IsUint64()) {
    out.append(std::to_string(v.GetUint64()));
    return;
  }
  const double d = v.GetDouble();
  if (!std::isfinite(d)) {
    out.append("null");  // as JSON.stringify
    return;
  }
  if (d == std::floor(d) && std::fabs(d) < 1e21) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    out.append(std::string_view(buf) == "-0" ? "0" : buf);
    return;
  }
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.Double(d);
  std::string text(b.GetString(), b.GetSize());
  const size_t e = text.find('e');
  if (e != std::string::npos && e + 1 < text.size() && text[e + 1] != '-') {  // JS: 1e+21
    out.append(text, 0, e + 1).append("+").append(text, e + 1, std::string::npos);
  } else {
    out.append(text);
  }
}

}  // namespace

void append_js_json(const rapidjson::Value& v, std::string& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType: out.append("null"); return;
    case rapidjson::kFalseType: out.append("false"); return;
    case rapidjson::kTrueType: out.append("true"); return;
    case rapidjson::kStringType: append_string({v.GetString(), v.GetStringLength()}, out); return;
    case rapidjson::kNumberType: append_number(v, out); return;
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        append_js_json(e, out);
      }
      out.push_back(']');
      return;
    }
    case rapidjson::kObjectType: {
      std::vector<std::pair<uint64_t, const rapidjson::Value::Member*>> indexed;
      std::vector<const rapidjson::Value::Member*> named;
      for (const auto& m : v.GetObject()) {
        uint64_t n = 0;
        if (array_index({m.name.GetString(), m.name.GetStringLength()}, &n)) {
          indexed.emplace_back(n, &m);
        } else {
          named.push_back(&m);
        }
      }
      std::stable_sort(indexed.begin(), indexed.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      auto member = [&](const rapidjson::Value::Member* m) {
        if (!first) out.push_back(',');
        first = false;
        append_string({m->name.GetString(), m->name.GetStringLength()}, out);
        out.push_back(':');
        append_js_json(m->value, out);
      };
      for (const auto& [n, m] : indexed) member(m);
      for (const auto* m : named) member(m);
      out.push_back('}');
      return;
    }
  }
}

std::string js_json(const rapidjson::Value& v) {
  std::string out;
  append_js_json(v, out);
  return out;
}

}  // namespace xr::app

// Helpers shared by the cache unit tests: JSON serialisation, deep JsonView comparison.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "base/json_view.h"
#include "base/rapidjson_view.h"

namespace xr::cache::testing {

inline std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

// Deep equality of two JsonViews through every method of the concept.
template <JsonView A, JsonView B>
bool same_view(const A& a, const B& b, std::string* where) {
  if (a.kind() != b.kind()) {
    *where = "kind";
    return false;
  }
  switch (a.kind()) {
    case JsonKind::kNumber:
      if (a.number() != b.number()) return *where = "number", false;
      return true;
    case JsonKind::kString:
      if (std::string_view(a.string()) != std::string_view(b.string())) return *where = "string", false;
      return true;
    case JsonKind::kArray:
      if (a.size() != b.size()) return *where = "array size", false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!same_view(a.at(i), b.at(i), where)) return false;
      }
      return true;
    case JsonKind::kObject: {
      if (a.size() != b.size()) return *where = "object size", false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        std::string_view k = a.key(i);
        if (k != std::string_view(b.key(i))) return *where = "key " + std::string(k), false;
        if (!same_view(a.value(i), b.value(i), where)) return *where += " in " + std::string(k), false;
        B found;
        if (!b.find(k, &found) || !same_view(a.value(i), found, where)) return *where = "find " + std::string(k), false;
      }
      return true;
    }
    default: return true;
  }
}

}  // namespace xr::cache::testing

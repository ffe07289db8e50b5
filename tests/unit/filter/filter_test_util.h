// Helpers shared by the filter unit tests: parse JSON, compile, and list which objects match.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "base/rapidjson_view.h"
#include "filter/filter.h"

namespace xr::filter::testing {

inline rapidjson::Document json(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text.c_str());
  return d;
}

// Whether `filter` matches the JSON `object`; "error: <message>" results go to *error.
inline bool match(const std::string& filter, const std::string& object, std::string* error = nullptr) {
  auto f = Filter::compile(filter);
  if (!f.is_ok()) {
    if (error) *error = f.status().message();
    return false;
  }
  auto doc = json(object);
  return f->matches(RapidJsonView(&doc));
}

inline std::string compile_error(const std::string& filter) {
  auto f = Filter::compile(filter);
  return f.is_ok() ? std::string("<ok>") : f.status().message();
}

}  // namespace xr::filter::testing

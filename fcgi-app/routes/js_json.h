// JSON text as JavaScript's JSON.stringify writes it, for answers built as a tree rather than
// copied from the cache (stats, dashboards): compact; an object's array-index keys ("0", "12")
// first in numeric order, then the others in insertion order (JS property order); integral
// numbers without a fraction ("14", not "14.0"). Any thread.
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace xr::app {

void append_js_json(const rapidjson::Value& v, std::string& out);
std::string js_json(const rapidjson::Value& v);

}  // namespace xr::app

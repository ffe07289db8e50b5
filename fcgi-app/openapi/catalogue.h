// The named pieces route rows refer to in their RouteDoc (routes/route_table.h): query
// parameters and JSON schemas (fixed ones here, the XO object schemas generated from the
// model in xo_objects.json). Constant data; any thread.
#pragma once

#include <span>
#include <string_view>

namespace xr::app::openapi {

struct QueryParam {
  std::string_view name;
  std::string_view schema;   // JSON Schema text
  std::string_view example;  // JSON text, or "" for none
  std::string_view description;
};

struct NamedSchema {
  std::string_view name;     // component name, referred to as "#/components/schemas/<name>"
  std::string_view schema;   // JSON Schema text (2020-12, as OpenAPI 3.1)
  std::string_view example;  // JSON text of one example answer, or "" for none
};

// "@list" in a RouteDoc::query expands to this.
inline constexpr std::string_view kListQuery = "fields filter limit ndjson markdown";

std::span<const QueryParam> query_params();
const QueryParam* find_query_param(std::string_view name);
// Fixed (hand-described) schemas; the XO object schemas are in xo_objects.h.
std::span<const NamedSchema> fixed_schemas();

}  // namespace xr::app::openapi

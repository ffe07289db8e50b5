// The OpenAPI 3.1 document of /rest/v0, generated from the route table (routes/route_table.h)
// and the catalogues (catalogue.h, xo_objects.h): nothing of it is written by hand beside
// the routes. Served at /rest/v0/docs/swagger.json and /rest/v0/docs/openapi.json, printed
// by `xapi-rest openapi`. Any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "routes/route_table.h"

namespace xr::app::openapi {

// The whole document as JSON text; built on first use, then shared.
const std::string& document_json();

// Problems of the route table's metadata, one line each ("GET rest/v0/foo: no summary");
// empty when every route is fully described. The unit test and `serve` (a log line) use it.
std::vector<std::string> check_routes(std::span<const Route> table = routes());

// The document path of a route pattern: "rest/v0/vms/{id}" -> "/vms/{id}", a final "**"
// -> "{path}"; "" for a pattern outside /rest/v0 (not part of this document).
std::string path_of(std::string_view pattern);

}  // namespace xr::app::openapi

// The explicit route table of /rest/v0 and the dispatcher that matches a request to a
// route, authenticates it, runs the handler and turns errors into XO's error bodies.
// The OpenAPI document (routes/openapi.cpp) is generated from this table: every row
// carries its RouteDoc, and tests/unit/app/route_doc_test.cpp fails for a row without one.
// Worker request thread (the table itself is constant data, any thread).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "routes/context.h"

namespace xr::app {

namespace actions {
struct ActionSpec;
}

enum class Access {
  kPublic,  // no credentials needed (credentials given are still checked)
  kUser,    // any authenticated user (the handler checks ownership)
  kAdmin,   // admin users only
  kPage,    // a browser page outside /rest/v0 (/, /signin, /signout): the handler reads the
            // session cookie itself (a missing or bad one leads to /signin, never a 401)
};

// x-mcp-exposure: how XO's MCP server (@xen-orchestra/mcp) may use the operation.
enum class Mcp : uint8_t {
  kUnset,    // no metadata yet: the route test fails
  kAllow,    // a GET in the <segment>_query tool
  kConfirm,  // a change in the <segment>_action tool, after a confirmation round trip
  kDeny,     // never exposed
  kNone,     // no extension at all (XO's own choice for a few routes, e.g. /mcp/status)
};

// What the OpenAPI document says about a route. Names are resolved by routes/openapi.cpp
// against its catalogues (query parameters, schemas); an unknown name fails the route test.
struct RouteDoc {
  // XO's own operationId where XO has the route (@xen-orchestra/rest-api@0.39.0's
  // swagger.json); otherwise ours, in XO's style (GetVmFoo). Unique across the table.
  std::string_view operation_id;
  std::string_view summary;  // one line, shown by Swagger UI and by MCP tool descriptions
  // XO's where XO has the route; ours: reads kAllow, changes and actions kConfirm,
  // exports, stats, credentials and server/user administration kDeny.
  Mcp mcp = Mcp::kUnset;
  // Query parameters, space-separated names of openapi.cpp's parameter catalogue
  // ("fields filter limit ndjson markdown ..."); "@list" stands for the collection set.
  std::string_view query = {};
  // JSON request body: a schema name of the catalogue, or "" for none.
  std::string_view body = {};
  // Answers other than the automatic errors, comma-separated "STATUS [SCHEMA]":
  //   "200 XoVm"      one object of that schema        "200 [XoVm]"  a collection list
  //   "204" / "307"   no body                          "503"         an error (XO's error body)
  // Automatic: 401 unless public, 403 for user/admin routes, 404 with path parameters,
  // 400 with query parameters or a body.
  std::string_view result = {};
};

struct Route {
  std::string_view method;   // "GET" also answers HEAD; "*" any method
  // Segments; "{name}" captures one (in order into Context::params; the name is the
  // OpenAPI path parameter), a final "**" captures the rest.
  std::string_view pattern;
  Access access;
  Handler handler;
  RouteDoc doc = {};
};

std::span<const Route> routes();
// The OpenAPI schema name of an action's body ("<operationId>Body"), for the generated rows.
std::string action_body_schema(const actions::ActionSpec& a);
// The first route matching `method` and `segments` (nullptr: none), with its captures.
const Route* find_route(std::string_view method, const std::vector<std::string>& segments,
                        std::vector<std::string>* params);
// Handles one request completely (response written and finished).
void dispatch(Request& req, Response& res, Services& svc);

}  // namespace xr::app

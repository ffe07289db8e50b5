// GET /rest/v0 (the list of collection URLs), GET /rest/v0/ping and the OpenAPI document
// (/rest/v0/docs/swagger.json, openapi.json), GET /rest/v0/mcp/status and XO's MCP kill
// switch. Worker request thread.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_root(Context& ctx);
Status get_ping(Context& ctx);
// Routes the stream role serves (nginx sends them to stream.socket): a worker reached by one
// says the site is misconfigured (503).
Status served_by_stream(Context& ctx);
Status get_openapi(Context& ctx);
Status get_mcp_status(Context& ctx);
// With mcp.enabled = false, a request carrying "X-XO-Client: mcp" (XO's MCP server) gets
// XO's 503 {"error":..., "data":{"error":"mcp_disabled"}}, whatever its credentials.
Status check_mcp_gate(Context& ctx);

}  // namespace xr::app

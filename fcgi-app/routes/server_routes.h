// GET /rest/v0/servers[/{id}] (the configured pools and their connection state) and
// GET /rest/v0/dashboard (pool-object counts). Worker request thread; shared memory only.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status list_servers(Context& ctx);
Status get_server(Context& ctx);
Status get_dashboard(Context& ctx);

}  // namespace xr::app

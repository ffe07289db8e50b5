// GET /rest/v0/servers[/{id}]: the configured pools and their connection state, as XO's
// xenServer objects. Worker request thread; shared memory only.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status list_servers(Context& ctx);
Status get_server(Context& ctx);

}  // namespace xr::app

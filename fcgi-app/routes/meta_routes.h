// GET /rest/v0 (the list of collection URLs) and GET /rest/v0/ping. Worker request thread.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_root(Context& ctx);
Status get_ping(Context& ctx);

}  // namespace xr::app

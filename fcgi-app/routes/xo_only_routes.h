// What XO 6's web UI reads that only xo-server has: GET /rest/v0/gui-routes (where the UIs
// are; no XO 5 here) and the collections of XO features this gateway does not have —
// backup jobs, backup repositories, backup logs, restore logs, schedules, proxies —
// answered as an XO with none configured answers: empty lists, and 404 for any id.
// Worker request thread; never blocks.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_gui_routes(Context& ctx);
// GET /rest/v0/<collection>: an empty list in the requested format (the usual list
// parameters are validated as for any collection).
Status list_not_configured(Context& ctx);
// GET /rest/v0/<collection>/{id}: XO's 404 "no such <type> <id>".
Status get_not_configured(Context& ctx);

}  // namespace xr::app

// XO's dashboards: GET /dashboard (global), /pools/{id}/dashboard, /vms/{id}/dashboard, in
// XO's shapes (xoa.service, pool.service, vm.service of @xen-orchestra/rest-api). Parts made
// from the cache are exact; top-five CPU/RAM usage comes from RRD statistics and missing
// patches from the updater plugin (routes/monitor_routes.h); backup parts are XO's answer for
// a setup without backup jobs or repositories ({"isEmpty": true}, [], "not-in-active-job"):
// this gateway has none. `ndjson` streams each part as its own line {"<path>": value} as
// soon as it is known, as XO does. Worker request thread.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_dashboard(Context& ctx);
Status get_pool_dashboard(Context& ctx);
Status get_vm_dashboard(Context& ctx);

}  // namespace xr::app

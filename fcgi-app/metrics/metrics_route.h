// GET /metrics: the Prometheus text exposition of metrics.h, for admin credentials
// (token cookie or Basic); nginx gives it its own location. Worker request thread.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_metrics(Context& ctx);

}  // namespace xr::app

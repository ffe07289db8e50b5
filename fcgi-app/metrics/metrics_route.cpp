#include "metrics/metrics_route.h"

#include "metrics/metrics.h"
#include "worker/cache_access.h"

namespace xr::app {

Status get_metrics(Context& ctx) {
  const std::string text =
      metrics::render(ctx.svc.config, ctx.svc.cache != nullptr ? &ctx.svc.cache->reader() : nullptr);
  ctx.res.add_header("Cache-Control", "no-store");
  ctx.res.send(200, "text/plain; version=0.0.4; charset=utf-8", text);
  return Status::ok();
}

}  // namespace xr::app

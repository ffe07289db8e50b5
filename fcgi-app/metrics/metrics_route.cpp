#include "metrics/metrics_route.h"

#include <map>
#include <string>
#include <vector>

#include "metrics/metrics.h"
#include "tasks/task_store.h"
#include "worker/cache_access.h"

namespace xr::app {

Status get_metrics(Context& ctx) {
  std::string text =
      metrics::render(ctx.svc.config, ctx.svc.cache != nullptr ? &ctx.svc.cache->reader() : nullptr);
  // XO tasks by status, from the store (every user's).
  if (ctx.svc.tasks != nullptr) {
    XR_ASSIGN_OR_RETURN(std::vector<tasks::Task> all, ctx.svc.tasks->list());
    std::map<std::string_view, int64_t> counts;
    for (auto s : {tasks::TaskStatus::kPending, tasks::TaskStatus::kSuccess, tasks::TaskStatus::kFailure,
                   tasks::TaskStatus::kInterrupted}) {
      counts[tasks::status_name(s)] = 0;
    }
    for (const tasks::Task& t : all) ++counts[tasks::status_name(t.status)];
    text += "# HELP xapi_rest_tasks XO tasks kept in the store, by status.\n# TYPE xapi_rest_tasks gauge\n";
    for (const auto& [status, n] : counts) {
      text += "xapi_rest_tasks{status=\"" + std::string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  ctx.res.add_header("Cache-Control", "no-store");
  ctx.res.send(200, "text/plain; version=0.0.4; charset=utf-8", text);
  return Status::ok();
}

}  // namespace xr::app

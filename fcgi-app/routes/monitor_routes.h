// What XO answers by asking the pool rather than its object cache (worker/xapi_reads.h):
//   GET /vms|hosts|pools/{id}/stats?granularity=seconds|minutes|hours|days  (xcp-rrdd data
//       through /rrd_updates on the host that holds it, XO's shapes: lib/xo/rrd_stats.h)
//   GET /hosts|pools/{id}/missing_patches   (XCP-ng's updater plugin, check_update)
//   GET /hosts/{id}/smt                     (cpu_info.threads_per_core, else the plugin)
//   GET /hosts/{id}/logs.tgz                (/host_logs_download, streamed)
// RRD answers are kept per (host, step) for `step` seconds and plugin answers for 60 s per
// host in each worker process, as XO keeps them. Worker request thread; blocks on XAPI.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "routes/context.h"

namespace xr::app {

Status get_vm_stats(Context& ctx);
Status get_host_stats(Context& ctx);
Status get_pool_stats(Context& ctx);
Status get_host_missing_patches(Context& ctx);
Status get_pool_missing_patches(Context& ctx);
Status get_host_smt(Context& ctx);
Status get_host_logs(Context& ctx);

// --- shared with the dashboards ---

// A host as the XAPI reads need it.
struct PoolHost {
  std::string id;       // uuid
  std::string ref;      // OpaqueRef
  std::string address;
  std::string pool;     // configured pool name
  std::string name_label;
  std::string brand;    // software_version.product_brand
};
// The hosts of pool `pool_id` (uuid), in cache order; `running_only`: power_state Running.
Result<std::vector<PoolHost>> pool_hosts(Context& ctx, std::string_view pool_id, bool running_only);
// XO's stats of object `uuid` ("host" or "vm") held by `host`, at `step` seconds.
Status object_stats(Context& ctx, const PoolHost& host, std::string_view type, std::string_view uuid,
                    int64_t step, rapidjson::Value* out, rapidjson::Document::AllocatorType& alloc);
// The updates XCP-ng's updater plugin lists for `host` (a JSON array), or the failure.
Result<std::shared_ptr<const rapidjson::Document>> host_missing_patches(Context& ctx, const PoolHost& host);

}  // namespace xr::app

// XO's statistics from xcp-rrdd's /rrd_updates answer (xo-server's xapi-stats.mjs): the
// legend entries "AVERAGE:<host|vm>:<uuid>:<metric>" of one object become XO's named series
// (load, memoryFree, cpus.<n>, pifs.rx.<n>, iops.r.<sr>, xvds.w.<dev>, ...), oldest value
// first, each value stored as a float32 as XO does, then scaled as XO scales it (KiB to bytes,
// fractions to percents, MiB/s to bytes/s, µs to ms), NaN as null. Pure functions, any thread.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::xo {

// The archive steps XO knows: "seconds" 5, "minutes" 60, "hours" 3600, "days" 86400
// (nullopt for anything else); and how many points XO asks for at each step.
std::optional<int64_t> stats_step(std::string_view granularity);
int64_t stats_points(int64_t step);

// `rrd`: the parsed JSON answer ({"meta":{start,step,end,rows,columns,legend},"data":[{t,
// values}]}, numbers or strings). Builds into `out` (an object allocated in `alloc`) XO's
// {"endTimestamp","interval","stats"} for the object `uuid` of `type` ("host" or "vm"), or
// {"endTimestamp": server_time, "interval": step, "stats": {}} when the answer has nothing for
// it. kProtocol when the answer is malformed or its step is not `step` (XO's
// FaultyGranularity "Unable to get the true granularity").
Status rrd_stats(const rapidjson::Value& rrd, std::string_view type, std::string_view uuid, int64_t step,
                 int64_t server_time, rapidjson::Value* out, rapidjson::Document::AllocatorType& alloc);

// Seconds since the epoch of a XAPI datetime ("20261205T22:30:00Z", also with dashes or a
// fractional part); nullopt when it is not one.
std::optional<int64_t> parse_xapi_datetime(std::string_view text);

}  // namespace xr::xo

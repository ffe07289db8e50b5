// Process-shared counters for GET /metrics (Prometheus text format). The master maps one
// anonymous shared area before the first fork (init()); every child inherits it, so the
// workers' request counters, the poller's resyncs, the master's restart counts and the
// stream role's open streams add up in one place and survive child restarts and reloads.
// Recording is lock-free (relaxed atomics) and a no-op when init() was never called (the
// CLI, unit tests). Any thread of any process.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace xr::config {
struct Config;
}
namespace xr::cache {
class Reader;
}

namespace xr::app::metrics {

// Maps the shared area (master, before fork). Idempotent.
void init();
bool enabled();

// One answered request: `route` the row of routes() (-1: no route matched), HTTP status,
// time from the request's arrival to its last byte.
void record_request(int route, int status, std::chrono::nanoseconds elapsed);
// A failed XAPI call (every RPC of lib/xapi, through its error observer): `code` is XAPI's
// error code (SESSION_AUTHENTICATION_FAILED, ...) or the failure's kind ("transport", ...).
void record_xapi_error(std::string_view code);
// The master restarted a child of `role` after it died.
void record_restart(std::string_view role);
// The poller of pool `pool` (index in config.pools) applied a batch: a full resync or not,
// and how long it took from event.from's answer to the batch being in the cache.
void record_event_batch(int pool, bool full_resync, std::chrono::nanoseconds lag);
// Streams (watch, NDJSON waits) the stream role holds open now.
void set_open_streams(int64_t n);

// The whole exposition: counters above plus what the cache reader shows (objects per
// collection, bytes, pool connection state and last event age). `reader` may be null.
std::string render(const config::Config& config, const cache::Reader* reader);

}  // namespace xr::app::metrics

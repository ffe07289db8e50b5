// Read-write XAPI access for the synchronous mutations of the worker (PATCH, tags, DELETE,
// creations): one session per pool and worker process, beside the read-only XapiReads,
// shared by the request threads (thread-safe; calls block). barrier() is the read-your-writes
// guarantee: it returns once the shared cache shows every change XAPI made before it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cache/reader.h"
#include "config/config.h"
#include "worker/pool_sessions.h"
#include "xapi/session.h"
#include "xapi/value.h"

namespace xr::app {

class XapiWrites {
 public:
  explicit XapiWrites(const config::Config& config);

  // `method(session, params...)` on the configured pool `pool` (its name). kNotFound for an
  // unknown pool; XAPI failures as kXapi with XAPI's code and parameters.
  Result<xapi::Value> call(std::string_view pool, std::string_view method, std::vector<xapi::Value> params);

  // Read-your-writes: event.inject on the pool object `pool_ref` (XAPI orders it after every
  // change made before it, as XO's xen-api barrier does), then waits until the poller has
  // applied an event batch past it (the pool's status slot event_gen). kGatewayTimeout when
  // that takes longer than timeout_ms.
  Status barrier(std::string_view pool, std::string_view pool_ref, const cache::Reader& reader,
                 int timeout_ms);

 private:
  Result<xapi::Session*> session(std::string_view pool);

  PoolSessions sessions_;
};

// The pool's applied event generation as the cache reports it (0 if the pool is unknown).
uint64_t applied_event_gen(const cache::Reader& reader, std::string_view pool);

}  // namespace xr::app

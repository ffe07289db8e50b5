// Read-only XAPI access for the routes that XO answers by asking the pool itself rather than
// its object cache: RRD statistics (/rrd_updates on the host holding the data), host plugins
// (missing patches, hyper-threading), host log bundles. One per worker process, shared by its
// request threads (thread-safe). A session per pool is opened at the first use and kept
// (re-login on expiry is the session's). Actions and mutations never go through here (they
// are the runner's); these calls change nothing in the pool.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "worker/pool_sessions.h"
#include "xapi/http_transfer.h"
#include "xapi/session.h"
#include "xapi/value.h"

namespace xr::app {

class XapiReads {
 public:
  explicit XapiReads(const config::Config& config);

  // A call on the configured pool `pool` (its name); kNotFound for an unknown pool, XAPI
  // failures as kXapi.
  Result<xapi::Value> call(std::string_view pool, std::string_view method, std::vector<xapi::Value> params);
  // GET `path` on the pool member at `address` (the pool URL's scheme and port), with the
  // session's id added to `query`: the body, at most `max_bytes` (kResourceExhausted beyond);
  // an HTTP error status is kTransport naming it.
  Result<std::string> get(std::string_view pool, std::string_view address, std::string_view path,
                          const xapi::Query& query, size_t max_bytes);
  // The same, the body handed to `sink` piece by piece (kept small in memory).
  Status stream(std::string_view pool, std::string_view address, std::string_view path,
                const xapi::Query& query, const xapi::BodySink& sink);

  // "scheme://address[:port]" of a pool member, from the pool URL (exposed for the tests).
  static std::string member_url(std::string_view pool_url, std::string_view address);

 private:
  Result<xapi::Session*> session(std::string_view pool);
  Status get_into(std::string_view pool, std::string_view address, std::string_view path,
                  const xapi::Query& query, const xapi::BodySink& sink);

  PoolSessions sessions_;
};

}  // namespace xr::app

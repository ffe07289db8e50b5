// One XAPI session per configured pool, opened at its first use and kept (re-login on expiry
// is the session's); thread-safe. The worker's read-only (XapiReads) and read-write
// (XapiWrites) accessors each own one, with their own originator and call timeout.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"
#include "poller/session_options.h"
#include "xapi/session.h"

namespace xr::app {

class PoolSessions {
 public:
  PoolSessions(const config::Config& config, std::string originator, int rpc_timeout_ms)
      : config_(config), originator_(std::move(originator)), rpc_timeout_ms_(rpc_timeout_ms) {}

  // The session of the configured pool `pool` (its name); kNotFound for an unknown pool.
  Result<xapi::Session*> get(std::string_view pool) {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(pool);
    if (it != sessions_.end()) return it->second.get();
    for (const auto& p : config_.pools) {
      if (p.name != pool) continue;
      xapi::SessionOptions o = session_options(p);
      o.originator = originator_;
      o.endpoint.connect_timeout_ms = 5000;
      o.endpoint.rpc_timeout_ms = rpc_timeout_ms_;
      auto s = std::make_unique<xapi::Session>(std::move(o));
      xapi::Session* raw = s.get();
      sessions_.emplace(std::string(pool), std::move(s));
      return raw;
    }
    return Status(ErrorKind::kNotFound, "no configured pool " + std::string(pool));
  }

 const config::Config& config() const { return config_; }

 private:
  const config::Config& config_;
  const std::string originator_;
  const int rpc_timeout_ms_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<xapi::Session>, std::less<>> sessions_;
};

}  // namespace xr::app

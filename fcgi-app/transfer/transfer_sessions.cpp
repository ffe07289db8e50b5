#include "transfer/transfer_sessions.h"

#include "poller/session_options.h"

namespace xr::app {

Result<xapi::Session*> TransferSessions::session(std::string_view pool) {
  std::lock_guard lock(mu_);
  if (auto it = sessions_.find(pool); it != sessions_.end()) return it->second.get();
  for (const auto& p : config_.pools) {
    if (p.name != pool) continue;
    xapi::SessionOptions o = session_options(p);
    o.originator = "xapi-rest transfers";
    o.endpoint.connect_timeout_ms = 10'000;
    auto s = std::make_unique<xapi::Session>(std::move(o));
    xapi::Session* raw = s.get();
    sessions_.emplace(std::string(pool), std::move(s));
    return raw;
  }
  return Status(ErrorKind::kNotFound, "no configured pool " + std::string(pool));
}

}  // namespace xr::app

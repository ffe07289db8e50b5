// XAPI sessions for transfers (exports, imports and the snapshots/VDIs they create and
// remove), one per configured pool and process, opened at first use and shared by the
// process's threads (xapi::Session is thread-safe). Separate from the workers'
// read-only XapiReads: these change things in the pool.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"
#include "xapi/session.h"

namespace xr::app {

class TransferSessions {
 public:
  explicit TransferSessions(const config::Config& config) : config_(config) {}
  // The session of the configured pool named `pool`; kNotFound for an unknown name.
  Result<xapi::Session*> session(std::string_view pool);

 private:
  const config::Config& config_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<xapi::Session>, std::less<>> sessions_;
};

}  // namespace xr::app

// Follows the database's credentials generation (auth_generation, bumped by every
// revocation, user deletion or password change, whoever commits it: the CLI, another
// node) into the shared segment's ControlBlock.credentials_gen, which empties every
// serving process's credential cache. Serving processes bump the shared word themselves
// when they commit such a change; this covers the others within kPeriod. Master only.
#pragma once

#include <chrono>
#include <cstdint>

#include "cache/layout.h"
#include "config/config.h"

namespace xr::app {

class CredentialWatch {
 public:
  static constexpr auto kPeriod = std::chrono::milliseconds(200);
  CredentialWatch(const config::Config& cfg, cache::layout::ControlBlock* control)
      : cfg_(cfg), control_(control) {}
  // Reads the database's generation (at most once per kPeriod) and bumps the shared one when
  // it moved. A database error is logged once and retried at the next period.
  void check(std::chrono::steady_clock::time_point now);
  std::chrono::steady_clock::time_point next_check() const { return next_; }

 private:
  const config::Config& cfg_;
  cache::layout::ControlBlock* control_;
  int64_t seen_ = -1;
  bool failing_ = false;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace xr::app

// A short-lived memo of verified credentials, shared by the threads of one worker
// process, so that a token costs one SQLite read per TTL and HTTP Basic one argon2id
// verification per TTL (not per request). Thread-safe (one mutex); never blocks long.
// Revocation, expiry and user deletion take effect at once (issue 17, defect 10): an
// entry is valid only under the credentials generation it was verified in (a counter in
// the shared segment's ControlBlock, bumped by invalidate() in every process and by the
// master for changes made outside the serving processes) and only until the token's own
// expiration.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/auth_store.h"

namespace xr::app {

class CredentialCache {
 public:
  enum class Kind { kToken, kBasic };
  // `generation`: the ControlBlock's credentials_gen; null (unit tests) = a private counter.
  explicit CredentialCache(std::atomic<uint64_t>* generation = nullptr)
      : generation_(generation != nullptr ? generation : &own_generation_) {}

  // The generation to pass to remember(): read it BEFORE verifying the credential, so that a
  // revocation committed during the verification still invalidates the entry.
  uint64_t generation() const { return generation_->load(std::memory_order_acquire); }
  std::optional<auth::User> find(Kind kind, std::string_view secret);
  // `valid_until_ms`: wall-clock ms since the epoch after which the entry is never used
  // (a token's expiration); INT64_MAX for none.
  void remember(Kind kind, std::string_view secret, const auth::User& user, uint64_t generation,
                int64_t valid_until_ms);
  // After a committed revocation, user deletion or password change: every process's cached
  // credentials stop being used at once (bumps the shared generation).
  void invalidate();

 private:
  struct Entry {
    auth::User user;
    std::chrono::steady_clock::time_point expires;
    uint64_t generation = 0;
    int64_t valid_until_ms = 0;
  };
  static std::string key(Kind kind, std::string_view secret);

  std::atomic<uint64_t> own_generation_{0};
  std::atomic<uint64_t>* generation_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace xr::app

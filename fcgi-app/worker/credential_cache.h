// A short-lived memo of verified credentials, shared by the threads of one worker
// process, so that a token costs one SQLite read per TTL and HTTP Basic one argon2id
// verification per TTL (not per request). Thread-safe (one mutex); never blocks long.
// A revoked token may keep working for up to the TTL (5 s for tokens, 60 s for Basic).
#pragma once

#include <chrono>
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
  std::optional<auth::User> find(Kind kind, std::string_view secret);
  void remember(Kind kind, std::string_view secret, const auth::User& user);

 private:
  struct Entry {
    auth::User user;
    std::chrono::steady_clock::time_point expires;
  };
  static std::string key(Kind kind, std::string_view secret);

  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace xr::app

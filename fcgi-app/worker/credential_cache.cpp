#include "worker/credential_cache.h"

#include "auth/secrets.h"

namespace xr::app {

namespace {
constexpr auto kTokenTtl = std::chrono::seconds(5);
constexpr auto kBasicTtl = std::chrono::seconds(60);
constexpr size_t kMaxEntries = 4096;
}  // namespace

std::string CredentialCache::key(Kind kind, std::string_view secret) {
  // Keys are hashes: the memo never holds a token or password in clear.
  auth::TokenHash h = auth::hash_token(secret);
  std::string k(h.begin(), h.end());
  k.push_back(kind == Kind::kToken ? 't' : 'b');
  return k;
}

std::optional<auth::User> CredentialCache::find(Kind kind, std::string_view secret) {
  const std::string k = key(kind, secret);
  const uint64_t gen = generation();
  std::lock_guard lock(mu_);
  auto it = entries_.find(k);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.generation != gen || it->second.expires <= std::chrono::steady_clock::now() ||
      it->second.valid_until_ms <= auth::now_ms()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

void CredentialCache::remember(Kind kind, std::string_view secret, const auth::User& user,
                               uint64_t generation, int64_t valid_until_ms) {
  const std::string k = key(kind, secret);
  const auto ttl = kind == Kind::kToken ? kTokenTtl : kBasicTtl;
  std::lock_guard lock(mu_);
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[k] = Entry{user, std::chrono::steady_clock::now() + ttl, generation, valid_until_ms};
}

void CredentialCache::invalidate() {
  generation_->fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace xr::app

#include "worker/rate_limiter.h"

#include <time.h>

#include <algorithm>
#include <atomic>

#include "base/log.h"

namespace xr::app {

namespace {

const log::Logger kLog("rate");

}  // namespace

uint64_t RateLimiter::key_of(std::string_view kind, std::string_view who) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  };
  mix(kind);
  mix(std::string_view("\0", 1));
  mix(who);
  return h == 0 ? 1 : h;
}

int64_t RateLimiter::now_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// The slot of `key`, or a free or idle one (its time has passed: forgetting it loses nothing)
// claimed for it; null when every slot is busy for other keys.
cache::layout::RateSlot* RateLimiter::find_or_claim(uint64_t key, int64_t now) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    cache::layout::RateSlot* candidate = nullptr;
    uint64_t candidate_key = 0;
    for (uint32_t i = 0; i < count_; ++i) {
      cache::layout::RateSlot& s = slots_[(key + i) % count_];
      const uint64_t k = s.key.load(std::memory_order_acquire);
      if (k == key) return &s;
      if (candidate == nullptr && (k == 0 || s.tat_us.load(std::memory_order_acquire) <= now)) {
        candidate = &s;
        candidate_key = k;
      }
    }
    if (candidate == nullptr) return nullptr;
    if (candidate->key.compare_exchange_strong(candidate_key, key, std::memory_order_acq_rel)) return candidate;
    // Another thread claimed it first (perhaps for this very key): look again.
  }
  return nullptr;
}

int RateLimiter::admit(uint64_t key, const RateLimit& limit, int64_t now) {
  if (limit.per_minute <= 0) return 0;
  cache::layout::RateSlot* slot = find_or_claim(key, now);
  if (slot == nullptr) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) kLog.warn("every rate-limit slot is in use: requests of other tokens pass unlimited");
    return 0;
  }
  const int64_t interval = 60'000'000 / limit.per_minute;          // µs between requests
  const int64_t tolerance = interval * (std::max<int64_t>(limit.burst, 1) - 1);
  int64_t tat = slot->tat_us.load(std::memory_order_acquire);
  while (true) {
    const int64_t start = std::max(tat, now);
    if (start - now > tolerance) {
      const int64_t wait_us = start - now - tolerance;
      return static_cast<int>(std::max<int64_t>(1, (wait_us + 999'999) / 1'000'000));
    }
    if (slot->tat_us.compare_exchange_weak(tat, start + interval, std::memory_order_acq_rel)) return 0;
  }
}

}  // namespace xr::app

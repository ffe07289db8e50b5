// Rate limits in front of XAPI (issue 17, controls): a GCRA (generic cell rate algorithm,
// a token bucket in one number) per key in the shared segment's ControlBlock.rate_slots, so
// every worker process counts the same requests. Lock-free (compare-and-swap on one 64-bit
// word per slot); a killed worker leaves nothing locked. Any thread; never blocks.
#pragma once

#include <cstdint>
#include <string_view>

#include "cache/layout.h"

namespace xr::app {

struct RateLimit {
  int64_t per_minute = 0;  // 0: unlimited
  int64_t burst = 1;       // requests allowed at once after a quiet time
};

class RateLimiter {
 public:
  RateLimiter(cache::layout::RateSlot* slots, uint32_t count) : slots_(slots), count_(count) {}

  // 0 when one more request of `key` is allowed now (and counted), otherwise the seconds
  // until it will be (at least 1). With every slot busy for other keys the request is let
  // through (logged once): a full table must not stop the API.
  int admit(uint64_t key, const RateLimit& limit, int64_t now_us);
  // The key of a (kind, who) pair: FNV-1a, never 0.
  static uint64_t key_of(std::string_view kind, std::string_view who);
  // CLOCK_MONOTONIC in µs (the same clock in every process).
  static int64_t now_us();

 private:
  cache::layout::RateSlot* find_or_claim(uint64_t key, int64_t now_us);
  cache::layout::RateSlot* slots_;
  uint32_t count_;
};

}  // namespace xr::app

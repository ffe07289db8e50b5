#include "worker/rate_limiter.h"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <vector>

using namespace xr;
using namespace xr::app;

namespace {

struct Table {
  std::vector<cache::layout::RateSlot> slots;
  explicit Table(size_t n) : slots(n) {
    for (auto& s : slots) {
      s.key.store(0);
      s.tat_us.store(0);
    }
  }
  RateLimiter limiter() { return RateLimiter(slots.data(), static_cast<uint32_t>(slots.size())); }
};

constexpr int64_t kSecond = 1'000'000;

}  // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

// 60 per minute, burst 3: three at once, the fourth waits the one second of the interval.
BOOST_AUTO_TEST_CASE(a_burst_passes_then_the_rate_applies_with_the_seconds_to_wait) {
  Table t(8);
  RateLimiter l = t.limiter();
  const RateLimit limit{60, 3};
  const uint64_t key = RateLimiter::key_of("actions", "token a");
  const int64_t now = 1000 * kSecond;
  BOOST_TEST(l.admit(key, limit, now) == 0);
  BOOST_TEST(l.admit(key, limit, now) == 0);
  BOOST_TEST(l.admit(key, limit, now) == 0);
  BOOST_TEST(l.admit(key, limit, now) == 1);
  BOOST_TEST(l.admit(key, limit, now + kSecond / 2) == 1);
  BOOST_TEST(l.admit(key, limit, now + kSecond) == 0);
  BOOST_TEST(l.admit(key, limit, now + kSecond) == 1);
}

BOOST_AUTO_TEST_CASE(keys_count_apart_and_zero_is_unlimited) {
  Table t(8);
  RateLimiter l = t.limiter();
  const RateLimit one{1, 1};
  const int64_t now = 50 * kSecond;
  BOOST_TEST(l.admit(RateLimiter::key_of("actions", "token a"), one, now) == 0);
  BOOST_TEST(l.admit(RateLimiter::key_of("actions", "token a"), one, now) == 60);
  BOOST_TEST(l.admit(RateLimiter::key_of("actions", "token b"), one, now) == 0);
  BOOST_TEST(l.admit(RateLimiter::key_of("mutations", "token a"), one, now) == 0);
  for (int i = 0; i < 100; ++i) BOOST_TEST(l.admit(RateLimiter::key_of("x", "y"), RateLimit{0, 1}, now) == 0);
}

// A slot whose bucket is full again is idle: another key takes it; with every slot busy,
// requests of new keys pass (a full table never stops the API).
BOOST_AUTO_TEST_CASE(idle_slots_are_reused_and_a_full_table_lets_requests_through) {
  Table t(2);
  RateLimiter l = t.limiter();
  const RateLimit one{1, 1};
  const int64_t now = 10 * kSecond;
  BOOST_TEST(l.admit(1, one, now) == 0);
  BOOST_TEST(l.admit(2, one, now) == 0);
  BOOST_TEST(l.admit(3, one, now) == 0);  // no slot: let through
  BOOST_TEST(l.admit(3, one, now) == 0);
  BOOST_TEST(l.admit(1, one, now) == 60);  // still counted
  BOOST_TEST(l.admit(3, one, now + 61 * kSecond) == 0);  // 1 and 2 are idle by then
  BOOST_TEST(l.admit(3, one, now + 61 * kSecond) == 60);
}

BOOST_AUTO_TEST_SUITE_END()

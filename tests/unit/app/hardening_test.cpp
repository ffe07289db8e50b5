#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>

#include "worker/login_guard.h"
#include "worker/request.h"
#include "worker/response.h"

using namespace xr;
using namespace xr::app;

BOOST_AUTO_TEST_SUITE(app_hardening)

BOOST_AUTO_TEST_CASE(url_encode_never_lets_controls_or_non_ascii_through) {
  BOOST_TEST(url_encode("x\r\nSet-Cookie: a=1", "/:=") == "x%0D%0ASet-Cookie:%20a=1");
  BOOST_TEST(url_encode("/a/b%c", "/") == "/a/b%25c");
  BOOST_TEST(url_encode("a=1&b=%41", "=&%") == "a=1&b=%41");
  BOOST_TEST(url_encode(std::string_view("\xc3\xa9\x00\x7f", 4), "") == "%C3%A9%00%7F");
  BOOST_TEST(url_encode("AZaz09-._~", "") == "AZaz09-._~");
}

BOOST_AUTO_TEST_CASE(header_fields_with_cr_lf_or_bad_names_are_refused) {
  BOOST_TEST(header_field_ok("Location", "/rest/v0/users/1?a=b c\td"));
  BOOST_TEST(!header_field_ok("Location", "/x\r\nSet-Cookie: a=1"));
  BOOST_TEST(!header_field_ok("Location", "/x\nX: 1"));
  BOOST_TEST(!header_field_ok("Location", std::string_view("/x\0y", 4)));
  BOOST_TEST(!header_field_ok("Bad Name", "v"));
  BOOST_TEST(!header_field_ok("Bad:Name", "v"));
  BOOST_TEST(!header_field_ok("", "v"));
}

BOOST_AUTO_TEST_CASE(login_guard_throttles_user_and_address_for_2s_without_extending) {
  std::atomic<uint32_t> slots[LoginGuard::kMaxSlots] = {};
  LoginGuard g(slots, 2);
  const auto t0 = LoginGuard::Clock::now();
  int retry = 0;
  BOOST_TEST(g.admit("admin", "10.0.0.1", t0, &retry).is_ok());
  g.failed("admin", "10.0.0.1", t0);
  Status s = g.admit("admin", "10.0.0.2", t0 + std::chrono::milliseconds(100), &retry);
  BOOST_TEST((s.kind() == ErrorKind::kTooManyRequests));
  BOOST_TEST(s.message() == "too fast authentication tries");
  BOOST_TEST(retry == 2);
  BOOST_TEST(!g.admit("other", "10.0.0.1", t0 + std::chrono::milliseconds(1500), &retry).is_ok());
  BOOST_TEST(retry == 1);
  BOOST_TEST(g.admit("other", "10.0.0.2", t0, &retry).is_ok());
  // Refused attempts did not extend the window.
  BOOST_TEST(g.admit("admin", "10.0.0.1", t0 + std::chrono::milliseconds(2000), &retry).is_ok());
  g.failed("admin", "10.0.0.1", t0);
  g.succeeded("admin");
  BOOST_TEST(g.admit("admin", "10.0.0.3", t0, &retry).is_ok());
}

BOOST_AUTO_TEST_CASE(login_guard_bounds_hash_slots_and_reclaims_dead_holders) {
  std::atomic<uint32_t> slots[LoginGuard::kMaxSlots] = {};
  LoginGuard g(slots, 2);
  auto a = g.take_slot(std::chrono::milliseconds(0));
  auto b = g.take_slot(std::chrono::milliseconds(0));
  BOOST_REQUIRE(a.is_ok());
  BOOST_REQUIRE(b.is_ok());
  auto c = g.take_slot(std::chrono::milliseconds(20));
  BOOST_TEST((c.status().kind() == ErrorKind::kUnavailable));
  { auto gone = std::move(*a); }  // released
  BOOST_TEST(g.take_slot(std::chrono::milliseconds(0)).is_ok());
  // A slot held by a thread id that does not exist (a killed worker) is taken back.
  slots[0].store(0x3ffffff0u);
  slots[1].store(0x3ffffff1u);
  BOOST_TEST(g.take_slot(std::chrono::milliseconds(0)).is_ok());
}

BOOST_AUTO_TEST_CASE(log_escape_keeps_lines_single) {
  BOOST_TEST(log_escape("ghost\nuser") == "ghost\\x0auser");
  BOOST_TEST(log_escape("a\"b\\") == "a\\x22b\\x5c");
}

BOOST_AUTO_TEST_SUITE_END()

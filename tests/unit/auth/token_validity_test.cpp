#include "auth/token_validity.h"

#include <boost/test/unit_test.hpp>

using namespace xr;
using namespace xr::auth;

BOOST_AUTO_TEST_SUITE(token_validity)

// One rule for REST's expiresIn and the CLI's --expires: XO's words, 1 minute to 183 days.
BOOST_AUTO_TEST_CASE(durations_in_bounds_are_accepted_in_xo_words) {
  BOOST_TEST(*token_validity_ms("1 hour") == 3'600'000);
  BOOST_TEST(*token_validity_ms("30 minutes") == 1'800'000);
  BOOST_TEST(*token_validity_ms("1 day") == 86'400'000);
  BOOST_TEST(*token_validity_ms("60s") == 60'000);
  BOOST_TEST(*token_validity_ms("183d") == kMaxTokenValidityMs);
  BOOST_TEST(*token_validity_ms("60000") == 60'000);
}

BOOST_AUTO_TEST_CASE(too_short_too_long_and_unparsable_are_refused_with_the_reason) {
  for (const char* bad : {"30", "0d", "59s", "-1d", "184d", "1y", "30 parsecs", ""}) {
    auto r = token_validity_ms(bad);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(!r.is_ok());
      BOOST_TEST((r.status().kind() == ErrorKind::kInvalidArgument));
    }
  }
  BOOST_TEST(token_validity_ms("30").status().message().find("30 ms") != std::string::npos);
  BOOST_TEST(token_validity_ms("184d").status().message().find("183 days at most") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

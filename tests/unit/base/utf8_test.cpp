#include <boost/test/unit_test.hpp>

#include "base/utf8.h"

using namespace xr;

BOOST_AUTO_TEST_SUITE(base_utf8)

BOOST_AUTO_TEST_CASE(validation_follows_rfc_3629) {
  BOOST_TEST(is_valid_utf8("plain ascii"));
  BOOST_TEST(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  BOOST_TEST(!is_valid_utf8("\xff"));
  BOOST_TEST(!is_valid_utf8("\xc0\xaf"));          // overlong
  BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));      // surrogate
  BOOST_TEST(!is_valid_utf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  BOOST_TEST(!is_valid_utf8("\xe2\x82"));          // cut short
}

BOOST_AUTO_TEST_CASE(invalid_bytes_become_replacement_characters) {
  BOOST_TEST(to_valid_utf8("a\xff" "b") == "a\xef\xbf\xbd" "b");
  BOOST_TEST(to_valid_utf8("\xc3\xa9") == "\xc3\xa9");
  BOOST_TEST(to_valid_utf8("\xe2\x82") == "\xef\xbf\xbd\xef\xbf\xbd");
}

BOOST_AUTO_TEST_SUITE_END()

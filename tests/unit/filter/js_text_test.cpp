// JavaScript string helpers: the fast substring search agrees with toLowerCase + indexOf,
// Number() conversion, UTF-16 lengths and indexes.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>

#include "filter/js_text.h"

namespace xr::filter {
namespace {

BOOST_AUTO_TEST_CASE(fast_substring_search_agrees_with_lowercase_then_find) {
  std::mt19937 rng(7);
  const std::string pieces[] = {"a", "B", "ab", "AB", "x", "-", "é", "É", "\xE2\x84\xAA" /* KELVIN */, "k", "K", "İ",
                                "i", "Σ", "σ", "😀", " ", "0", "\n"};
  int found = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string hay, needle;
    for (int k = rng() % 24; k > 0; --k) hay += pieces[rng() % std::size(pieces)];
    for (int k = 1 + rng() % 3; k > 0; --k) needle += pieces[rng() % std::size(pieces)];
    std::string lower_needle = js_to_lower(needle);
    bool expected = js_to_lower(hay).find(lower_needle) != std::string::npos;
    found += expected;
    BOOST_TEST_CONTEXT("haystack '" << hay << "' needle '" << lower_needle << "'") {
      BOOST_TEST(contains_ignore_case(hay, lower_needle) == expected);
    }
  }
  BOOST_TEST(found > 1000);  // the generator does produce hits
}

BOOST_AUTO_TEST_CASE(to_lower_follows_javascript_including_final_sigma) {
  BOOST_TEST(js_to_lower("ΑΣ ΒΣ") == "ας βς");
  BOOST_TEST(js_to_lower("Σ") == "σ");
  BOOST_TEST(js_to_lower("ΑΣΑ") == "ασα");
  BOOST_TEST(js_to_lower("İ") == "i\xCC\x87");
  BOOST_TEST(js_to_lower("\xE2\x84\xAA") == "k");
  BOOST_TEST(js_to_lower("STRASSE ẞ") == "strasse ß");
}

BOOST_AUTO_TEST_CASE(number_conversion_is_javascripts_number) {
  auto n = [](const char* s) { return js_string_to_number(s); };
  BOOST_TEST(*n("1e3") == 1000);
  BOOST_TEST(*n("0x10") == 16);
  BOOST_TEST(*n("0b101") == 5);
  BOOST_TEST(*n("0o17") == 15);
  BOOST_TEST(*n(" \t12\xC2\xA0") == 12);
  BOOST_TEST(*n("") == 0);
  BOOST_TEST(*n("-Infinity") == -HUGE_VAL);
  BOOST_TEST(*n(".5") == 0.5);
  BOOST_TEST(*n("5.") == 5);
  BOOST_TEST(*n("1e400") == HUGE_VAL);
  for (const char* nan : {"abc", "1e", "-0x10", "0x", "1_000", "infinity", "1.2.3", "--1", "+", "0x1g", "nan", "inf"}) {
    BOOST_TEST_CONTEXT(nan) { BOOST_TEST(!n(nan).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(utf16_lengths_and_units_match_javascript_strings) {
  BOOST_TEST(utf16_length("a😀é") == 4u);
  BOOST_TEST(*utf16_unit_at("a😀é", 0) == "a");
  BOOST_TEST(*utf16_unit_at("a😀é", 3) == "é");
  BOOST_TEST(utf16_unit_at("a😀é", 1)->size() == 3u);  // a lone high surrogate, kept as a unit
  BOOST_TEST(!utf16_unit_at("a", 1).has_value());
  BOOST_TEST(utf16_to_utf8(utf8_to_utf16("ΣΟΦΙΑ 😀")) == "ΣΟΦΙΑ 😀");
}

}  // namespace
}  // namespace xr::filter

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "cache/field_list.h"

using namespace xr::cache;

BOOST_AUTO_TEST_SUITE(cache_field_list)

// Issue 17 defect 8: 60,000 fields took 5.4 s (a duplicate check against every earlier field).
BOOST_AUTO_TEST_CASE(parsing_many_fields_is_linear_and_drops_duplicates) {
  std::string text;
  for (int i = 0; i < 60000; ++i) text += "f" + std::to_string(i) + ",";
  text += "f1,f2.x";
  const auto t0 = std::chrono::steady_clock::now();
  FieldList list = FieldList::parse(text);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(list.fields().size() == 60001u);
  BOOST_TEST(list.fields().back().name == "f2.x");
  BOOST_TEST(!list.flat());
  BOOST_TEST(ms < 1000, "parse took " << ms << " ms");
}

BOOST_AUTO_TEST_SUITE_END()

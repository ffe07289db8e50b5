// Id16Map against std::unordered_map: random inserts, replacements and erases (with a
// deliberately small key space so probe chains wrap and backward shifts happen).
#include <boost/test/unit_test.hpp>

#include <random>
#include <unordered_map>

#include "xo/id16_map.h"

namespace xr::xo {
namespace {

BOOST_AUTO_TEST_SUITE(id16_map)

BOOST_AUTO_TEST_CASE(matches_unordered_map_under_random_churn) {
  std::mt19937_64 rng(42);
  Id16Map map;
  std::unordered_map<Id16, Handle, Id16Hash> ref;
  auto key = [&] { return Id16{rng() % 3000, rng() % 7}; };
  for (int step = 0; step < 200000; ++step) {
    Id16 k = key();
    switch (rng() % 3) {
      case 0:
      case 1: {
        Handle h = (rng() | 1);
        map.set(k, h);
        ref[k] = h;
        break;
      }
      default:
        BOOST_TEST(map.erase(k) == (ref.erase(k) == 1));
    }
    if (step % 5000 == 0) {
      BOOST_TEST(map.size() == ref.size());
      for (const auto& [k2, h2] : ref) {
        const Handle* found = map.find(k2);
        BOOST_TEST_REQUIRE(found != nullptr);
        BOOST_TEST(*found == h2);
      }
      size_t seen = 0;
      map.for_each([&](const Id16& k2, Handle h2) {
        ++seen;
        BOOST_TEST(ref.at(k2) == h2);
      });
      BOOST_TEST(seen == ref.size());
    }
  }
  for (int i = 0; i < 1000; ++i) {
    Id16 k = key();
    BOOST_TEST((map.find(k) != nullptr) == (ref.count(k) == 1));
  }
}

BOOST_AUTO_TEST_CASE(reserve_keeps_entries_and_empty_map_finds_nothing) {
  Id16Map map;
  BOOST_TEST(map.find(Id16{1, 2}) == nullptr);
  BOOST_TEST(!map.erase(Id16{1, 2}));
  map.set(Id16{0, 0}, 5);  // the all-zero key is a key like any other
  map.set(Id16{1, 2}, 7);
  map.reserve(100000);
  BOOST_TEST(map.size() == 2u);
  BOOST_TEST(*map.find(Id16{0, 0}) == 5u);
  BOOST_TEST(*map.find(Id16{1, 2}) == 7u);
  BOOST_TEST(map.erase(Id16{0, 0}));
  BOOST_TEST(map.find(Id16{0, 0}) == nullptr);
  BOOST_TEST(*map.find(Id16{1, 2}) == 7u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace xr::xo

#include <boost/test/unit_test.hpp>

#include "transfer/range.h"

using namespace xr::transfer;
using Kind = RangeRequest::Kind;

BOOST_AUTO_TEST_SUITE(range)

BOOST_AUTO_TEST_CASE(one_byte_range_in_each_form_is_partial_and_clamped) {
  auto r = parse_range("bytes=100-199", 1000);
  BOOST_CHECK(r.kind == Kind::kPartial);
  BOOST_CHECK_EQUAL(r.range.first, 100u);
  BOOST_CHECK_EQUAL(r.range.last, 199u);
  r = parse_range("bytes=900-", 1000);  // curl -C - sends this
  BOOST_CHECK_EQUAL(r.range.first, 900u);
  BOOST_CHECK_EQUAL(r.range.last, 999u);
  r = parse_range("bytes=-10", 1000);
  BOOST_CHECK_EQUAL(r.range.first, 990u);
  r = parse_range("bytes=-5000", 1000);
  BOOST_CHECK(r.kind == Kind::kPartial);
  BOOST_CHECK_EQUAL(r.range.first, 0u);
  r = parse_range("Bytes = 10-99999", 1000);
  BOOST_CHECK(r.kind == Kind::kWhole);  // a space before '=' is not the syntax: ignored
  r = parse_range("bytes=10-99999", 1000);
  BOOST_CHECK_EQUAL(r.range.last, 999u);
  BOOST_CHECK_EQUAL(content_range(r.range, 1000), "bytes 10-999/1000");
}

BOOST_AUTO_TEST_CASE(ranges_past_the_end_are_unsatisfiable) {
  BOOST_CHECK(parse_range("bytes=1000-", 1000).kind == Kind::kUnsatisfiable);
  BOOST_CHECK(parse_range("bytes=-0", 1000).kind == Kind::kUnsatisfiable);
  BOOST_CHECK(parse_range("bytes=0-", 0).kind == Kind::kUnsatisfiable);
  BOOST_CHECK_EQUAL(content_range_unsatisfied(1000), "bytes */1000");
}

BOOST_AUTO_TEST_CASE(what_the_server_may_ignore_gives_the_whole_body) {
  for (const char* h : {"", "items=0-5", "bytes=5-1", "bytes=a-b", "bytes=0-1,5-6", "bytes=1",
                        "bytes=-", "bytes=+1-2", "bytes=99999999999999999999-"})
    BOOST_CHECK_MESSAGE(parse_range(h, 1000).kind == Kind::kWhole, h);
}

BOOST_AUTO_TEST_CASE(if_range_must_match_the_current_etag) {
  BOOST_CHECK(parse_range("bytes=5-", 100, "\"v1\"", "\"v1\"").kind == Kind::kPartial);
  BOOST_CHECK(parse_range("bytes=5-", 100, "\"v0\"", "\"v1\"").kind == Kind::kWhole);
  BOOST_CHECK(parse_range("bytes=5-", 100, "Tue, 01 Dec 2026 00:00:00 GMT", "\"v1\"").kind ==
              Kind::kWhole);
}

BOOST_AUTO_TEST_CASE(window_forwards_only_the_range_across_chunk_edges) {
  RangeWindow w({5, 12});
  std::string out;
  for (std::string_view c : {"0123", "4567", "89ab", "cdef", "ghij"}) {
    out += w.feed(c);
    if (w.done()) break;
  }
  BOOST_CHECK_EQUAL(out, "56789abc");
  BOOST_CHECK(w.done());
  RangeWindow all({0, 3});
  BOOST_CHECK_EQUAL(all.feed("0123456"), "0123");
  BOOST_CHECK(all.done());
}

BOOST_AUTO_TEST_SUITE_END()

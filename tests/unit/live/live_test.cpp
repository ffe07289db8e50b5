#include <rapidjson/document.h>

#include <boost/test/unit_test.hpp>

#include "cache/reader.h"
#include "cache/segment.h"
#include "cache/writer.h"
#include "live/follower.h"
#include "live/revision.h"

using namespace xr;
using namespace xr::live;

namespace {

struct Fixture {
  cache::Segment seg = std::move(cache::Segment::create({8u << 20, 64}).value());
  cache::Writer writer{seg};
  cache::Reader reader{seg};
  rapidjson::Document doc;

  rapidjson::Value obj(const std::string& id, int gen) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("id", rapidjson::Value(id.c_str(), doc.GetAllocator()), doc.GetAllocator());
    v.AddMember("gen", gen, doc.GetAllocator());
    return v;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(live, Fixture)

BOOST_AUTO_TEST_CASE(revisions_round_trip_and_reject_anything_else) {
  const Revision r{0x0a1b2c3d, 1234567};
  BOOST_TEST(format_revision(r) == "0a1b2c3d-1234567");
  BOOST_TEST((parse_revision("0a1b2c3d-1234567") == r));
  for (const char* bad : {"", "0a1b2c3d", "0a1b2c3d-", "0A1B2C3D-1", "0a1b2c3-1", "0a1b2c3d-1x",
                          "0a1b2c3d--1", "0a1b2c3d-+1", "0a1b2c3d-99999999999999999999999"}) {
    BOOST_TEST(!parse_revision(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(the_follower_moves_only_at_batch_boundaries) {
  Follower f(reader, 0);
  writer.begin_batch();
  writer.upsert("vms", "a", obj("a", 1));
  writer.upsert("vms", "b", obj("b", 1));
  std::vector<cache::Change> out;
  BOOST_REQUIRE(f.next(&out).is_ok());
  BOOST_TEST(out.empty());  // half a batch is never seen
  BOOST_TEST(!stable_end(reader).has_value());
  writer.end_batch();
  BOOST_REQUIRE(f.next(&out).is_ok());
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(out[1].id == "b");
  BOOST_TEST(f.position() == 2u);
  out.clear();
  BOOST_REQUIRE(f.next(&out).is_ok());
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(a_follower_overtaken_by_the_ring_is_told_so) {
  Follower f(reader, 0);
  for (int i = 0; i < 100; ++i) BOOST_REQUIRE(writer.put("vms", "x", obj("x", i)).is_ok());
  std::vector<cache::Change> out;
  BOOST_TEST(f.next(&out).kind() == ErrorKind::kResourceExhausted);
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(changed_between_lists_each_object_once_at_its_last_change) {
  for (const char* id : {"a", "b", "a", "c", "b"}) BOOST_REQUIRE(writer.put("vms", id, obj(id, 0)).is_ok());
  std::vector<cache::Change> ids;
  BOOST_REQUIRE(changed_between(reader, 1, 5, &ids).is_ok());
  BOOST_REQUIRE(ids.size() == 3u);
  BOOST_TEST(ids[0].id == "a");
  BOOST_TEST(ids[0].seq == 3u);
  BOOST_TEST(ids[1].id == "c");
  BOOST_TEST(ids[2].id == "b");
  BOOST_TEST(ids[2].seq == 5u);
  for (int i = 0; i < 100; ++i) BOOST_REQUIRE(writer.put("vms", "x", obj("x", i)).is_ok());
  ids.clear();
  BOOST_TEST(changed_between(reader, 1, reader.last_change_seq(), &ids).kind() == ErrorKind::kGone);
}

BOOST_AUTO_TEST_CASE(resume_point_refuses_another_instance_and_the_future) {
  const uint64_t now = reader.last_change_seq();
  BOOST_TEST(resume_point(reader, {reader.instance() + 1, 0}, now).status().kind() == ErrorKind::kGone);
  BOOST_TEST(resume_point(reader, {reader.instance(), now + 1}, now).status().kind() ==
             ErrorKind::kInvalidArgument);
  BOOST_TEST(*resume_point(reader, {reader.instance(), now}, now) == now);
}

BOOST_AUTO_TEST_CASE(a_snapshot_is_retried_until_no_batch_raced_it) {
  int runs = 0;
  auto p = at_stable_point(reader, [&] {
    if (++runs == 1) BOOST_REQUIRE(writer.put("vms", "z", obj("z", runs)).is_ok());  // races run 1
  });
  BOOST_REQUIRE(p.is_ok());
  BOOST_TEST(runs == 2);
  BOOST_TEST(*p == reader.last_change_seq());
}

BOOST_AUTO_TEST_SUITE_END()

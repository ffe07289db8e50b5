// Canonical uuids and OpaqueRefs are stored as 16-byte ids inside the model: every id and
// link must come back out exactly as XAPI sent it.
#include <boost/test/unit_test.hpp>

#include "xo/model_state.h"
#include "xo_fixtures.h"

using namespace xotest;

namespace {

std::string uuid(int n) {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-1234-4abc-8def-%012x", n * 7919, n);
  return buf;
}
std::string ref(int n) { return "OpaqueRef:" + uuid(1000 + n); }


}  // namespace

BOOST_AUTO_TEST_SUITE(xo_canonical_ids)

BOOST_AUTO_TEST_CASE(uuid_text_round_trips_through_16_bytes) {
  for (std::string u : {uuid(1), std::string("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                        std::string("00000000-0000-0000-0000-000000000000")}) {
    auto id = xr::xo::id16_from_uuid(u);
    BOOST_REQUIRE(id.has_value());
    BOOST_TEST(xr::xo::uuid_from_id16(*id) == u);
  }
  BOOST_TEST(!xr::xo::id16_from_uuid("ABCDEF01-1234-4abc-8def-000000000001").has_value());
  BOOST_TEST(!xr::xo::id16_from_uuid("u-vm1").has_value());
}

BOOST_AUTO_TEST_CASE(links_and_derived_ids_keep_canonical_uuids) {
  xr::xapi::EventBatch b;
  b.full_resync = true;
  b.events.push_back(ev("pool", "add", ref(0), pool_rec(uuid(0), ref(1))));
  b.events.push_back(ev("host", "add", ref(1), host_rec(uuid(1), "h1", "OpaqueRef:NULL")));
  b.events.push_back(ev("sr", "add", ref(2), sr_rec(uuid(2), false, {ref(3)}, {ref(4)})));
  b.events.push_back(ev("pbd", "add", ref(3), pbd_rec(uuid(3), ref(1), ref(2))));
  b.events.push_back(ev("vdi", "add", ref(4), vdi_rec(uuid(4), ref(2), {ref(5)}, 7)));
  b.events.push_back(ev("vbd", "add", ref(5), vbd_rec(uuid(5), ref(6), ref(4))));
  Value vm = vm_rec(uuid(6), "vm", "Halted");
  set(vm, "VBDs", A({ref(5)}));
  b.events.push_back(ev("vm", "add", ref(6), std::move(vm)));
  Value master = pif_rec(uuid(7), ref(1), "OpaqueRef:NULL", "OpaqueRef:NULL");
  set(master, "bond_master_of", A({ref(9)}));
  Value slave = pif_rec(uuid(8), ref(1), "OpaqueRef:NULL", "OpaqueRef:NULL");
  set(slave, "bond_slave_of", S(ref(9)));
  b.events.push_back(ev("pif", "add", ref(7), std::move(master)));
  b.events.push_back(ev("pif", "add", ref(8), std::move(slave)));
  b.events.push_back(ev("bond", "add", ref(9),
                        R({{"uuid", S(uuid(9))}, {"master", S(ref(7))}, {"slaves", A({ref(8)})}})));
  RecordingSink sink;
  xr::xo::PoolModel model;
  model.apply(b, sink);
  auto v = sink.get("vms", uuid(6));
  BOOST_TEST(str(v, "id") == uuid(6));
  BOOST_TEST(str(v, "_xapiRef") == ref(6));
  BOOST_TEST(str(v, "$pool") == uuid(0));
  BOOST_TEST(str(v, "$container") == uuid(1));  // local SR of host 1
  BOOST_TEST(v["$VBDs"][0].GetString() == uuid(5));
  BOOST_TEST(str(sink.get("srs", uuid(2)), "$container") == uuid(1));
  BOOST_TEST(str(sink.get("vdis", uuid(4)), "$SR") == uuid(2));
  BOOST_TEST(sink.get("pifs", uuid(7))["bondSlaves"][0].GetString() == uuid(8));
  BOOST_TEST(str(sink.get("pifs", uuid(8)), "bondMaster") == uuid(7));
  BOOST_TEST(model.resolve(ref(6))->id == uuid(6));
  BOOST_TEST(model.resolve(uuid(4))->id == uuid(4));
}

BOOST_AUTO_TEST_SUITE_END()

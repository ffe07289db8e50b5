#include "xapi/event_spool.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

using xr::xapi::Event;
using xr::xapi::EventSpool;
using xr::xapi::Member;
using xr::xapi::Value;

namespace {

Value record(int n) {
  Value rec = Value::structure();
  rec.add_member("uuid", Value::string("uuid-" + std::to_string(n)));
  rec.add_member("name_label", Value::string("vm \xc3\xa9\xe2\x82\xac \"q\" \\ " + std::to_string(n)));
  rec.add_member("empty", Value::string(""));
  rec.add_member("memory", Value::integer(int64_t{1} << 40));
  rec.add_member("min", Value::integer(std::numeric_limits<int64_t>::min()));
  rec.add_member("max", Value::integer(std::numeric_limits<int64_t>::max()));
  rec.add_member("neg", Value::integer(-n));
  rec.add_member("running", Value::boolean(n % 2 == 0));
  rec.add_member("halted", Value::boolean(n % 2 != 0));
  rec.add_member("load", Value::real(-0.25 * n));
  rec.add_member("tiny", Value::real(std::numeric_limits<double>::denorm_min()));
  rec.add_member("when", Value::datetime("20250319T04:16:24Z"));
  rec.add_member("nothing", Value());
  rec.add_member("no_items", Value::array());
  rec.add_member("no_members", Value::structure());
  Value::Array refs;
  for (int i = 0; i < n % 5; ++i) refs.push_back(Value::string("OpaqueRef:" + std::to_string(i)));
  rec.add_member("VBDs", Value::array(std::move(refs)));
  Value inner = Value::structure();
  inner.add_member("nested", Value::array({Value::array({Value::integer(1)}), Value::structure()}));
  inner.add_member("uuid", Value::string("not the record's"));
  rec.add_member("other_config", std::move(inner));
  return rec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(event_spool)

BOOST_AUTO_TEST_CASE(round_trips_every_value_and_header) {
  EventSpool spool;
  const int n = 30000;  // several blocks
  for (int i = 0; i < n; ++i) {
    spool.add(Event{i % 3 ? "vm" : "vbd", i % 7 ? "add" : "mod", "OpaqueRef:r" + std::to_string(i), record(i)});
  }
  BOOST_TEST(spool.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const EventSpool::Header h = spool.header(i);
    BOOST_TEST(h.cls == (i % 3 ? "vm" : "vbd"));
    BOOST_TEST(h.operation == (i % 7 ? "add" : "mod"));
    BOOST_TEST(h.ref == "OpaqueRef:r" + std::to_string(i));
    BOOST_TEST(h.uuid == "uuid-" + std::to_string(i));
    BOOST_TEST((spool.snapshot(i) == record(i)));
  }
  // Out of order too (more blocks than the decompressed blocks cached), and compressed.
  for (int i = n - 1; i >= 0; i -= 97) BOOST_TEST((spool.snapshot(i) == record(i)));
  for (int i = 0; i < n; i += 89) BOOST_TEST(spool.header(i).ref == "OpaqueRef:r" + std::to_string(i));
  Value tiny = spool.snapshot(1);
  BOOST_TEST(tiny.get("tiny")->as_double().value() == std::numeric_limits<double>::denorm_min());
  BOOST_TEST((tiny.get("when")->type() == xr::xapi::ValueType::kDateTime));
  BOOST_TEST(tiny.get("nothing")->is_nil());
}

BOOST_AUTO_TEST_CASE(keeps_wire_order_and_oversized_records) {
  EventSpool spool;
  Value big = Value::structure();
  big.add_member("z", Value::string(std::string(3 << 20, 'x')));  // larger than a block
  big.add_member("a", Value::integer(1));
  spool.add(Event{"message", "add", "OpaqueRef:big", big});
  spool.add(Event{"vm", "del", "OpaqueRef:gone", Value()});
  BOOST_TEST((spool.snapshot(0) == big));
  const Value first = spool.snapshot(0);
  const Value::Struct& members = *first.as_struct().value();
  BOOST_TEST(members.front().name == "z");  // wire order, not sorted
  BOOST_TEST(spool.snapshot(1).is_nil());
  BOOST_TEST(spool.header(0).uuid == "");
  BOOST_TEST(spool.header(1).uuid == "");
  BOOST_TEST(spool.header(1).operation == "del");
  BOOST_TEST(spool.bytes() >= (3u << 20));
}

BOOST_AUTO_TEST_SUITE_END()

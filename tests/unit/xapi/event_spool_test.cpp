#include "xapi/event_spool.h"
#include "xapi/event_loop.h"
#include "xapi/response_decoder.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

using xr::xapi::Event;
using xr::xapi::EventSpool;
using xr::xapi::Member;
using xr::xapi::Value;
using xr::xapi::StreamSpec;
using xr::xapi::WireFormat;

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

BOOST_AUTO_TEST_CASE(a_snapshot_of_some_fields_skips_the_others_whole) {
  EventSpool spool;
  const int n = 5000;  // several blocks
  for (int i = 0; i < n; ++i) spool.add(Event{"vm", "add", "OpaqueRef:r" + std::to_string(i), record(i)});
  static constexpr std::string_view kFields[] = {"VBDs", "other_config", "load", "absent", "uuid"};
  for (int i = 0; i < n; i += 7) {
    const Value full = record(i);
    Value want = Value::structure();  // the record's members of those names, in wire order
    for (const Member& m : **full.as_struct()) {
      if (std::find(std::begin(kFields), std::end(kFields), m.name) != std::end(kFields)) want.add_member(m.name, m.value);
    }
    BOOST_TEST((spool.snapshot(i, kFields) == want));
    BOOST_TEST((spool.snapshot(i) == full));  // the whole record still
  }
}

BOOST_AUTO_TEST_CASE(a_reader_on_another_thread_reads_what_the_spool_reads) {
  EventSpool spool;
  const int n = 20000;  // several blocks
  for (int i = 0; i < n; ++i) spool.add(Event{"vm", "add", "OpaqueRef:r" + std::to_string(i), record(i)});
  const size_t before = spool.blocks_unpacked();
  int mismatches = 0;
  {
    EventSpool::Reader reader(spool, 1);
    std::thread other([&] {
      for (int i = 1; i < n; i += 2) {
        if (!(reader.snapshot(i) == record(i)) || reader.header(i).uuid != "uuid-" + std::to_string(i)) ++mismatches;
      }
    });
    for (int i = 0; i < n; i += 2) BOOST_TEST((spool.snapshot(i) == record(i)));  // at the same time
    other.join();
    // Blocks it read, then released by the spool's owner, are not read again.
    for (size_t b = 0; b + 1 < spool.block_count(); ++b) spool.release_block(b);
    BOOST_TEST((reader.snapshot(n - 1) == record(n - 1)));
  }
  BOOST_TEST(mismatches == 0);
  BOOST_TEST(spool.blocks_unpacked() > before + spool.block_count() - 1);  // the reader's count too
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

BOOST_AUTO_TEST_CASE(released_blocks_give_their_memory_back_and_the_others_still_read) {
  EventSpool spool;
  const int n = 30000;
  for (int i = 0; i < n; ++i) spool.add(Event{"vm", "add", "OpaqueRef:r" + std::to_string(i), record(i)});
  BOOST_REQUIRE(spool.block_count() > 2);
  const size_t before = spool.bytes();
  const size_t first_block = spool.block_of(0);
  spool.release_block(first_block);
  BOOST_TEST(spool.bytes() < before);
  for (int i = 0; i < n; i += 7) {
    if (spool.block_of(i) != first_block) BOOST_TEST((spool.snapshot(i) == record(i)));
  }
  for (size_t b = 0; b < spool.block_count(); ++b) spool.release_block(b);
  BOOST_TEST(spool.bytes() < before / 10);
}

namespace {

// A JSON-RPC event.from answer with these events (JSON texts).
std::string answer(const std::vector<std::string>& events) {
  std::string body = R"({"jsonrpc":"2.0","result":{"events":[)";
  for (size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
  return body + R"(],"valid_ref_counts":{},"token":"t1"},"id":1})";
}

// The spool of `events` through the SAX encoder, and through Values (the XML-RPC path).
std::pair<EventSpool, EventSpool> both_ways(const std::string& body, xr::Status* sax_status,
                                            xr::Status* value_status) {
  EventSpool by_sax, by_value;
  EventSpool::SaxEncoder encoder(by_sax, "del");
  StreamSpec sax{"events", [](Value&&) { return xr::Status::ok(); }, &encoder};
  *sax_status = decode_response(WireFormat::kJsonRpc, body, {}, sax).status();
  StreamSpec values{"events", [&](Value&& v) {
                      xr::Result<Event> e = xr::xapi::event_from_value(std::move(v));
                      if (!e.is_ok()) return e.status();
                      if (e->operation != "del") by_value.add(std::move(e).value());
                      return xr::Status::ok();
                    }};
  *value_status = decode_response(WireFormat::kJsonRpc, body, {}, values).status();
  return {std::move(by_sax), std::move(by_value)};
}

}  // namespace

BOOST_AUTO_TEST_CASE(sax_encoder_spools_what_values_would) {
  std::vector<std::string> events = {
      // members in any order, the snapshot before the ref; a nested "uuid" is not the record's
      R"({"id":"1","timestamp":"1.5","snapshot":{"other":{"uuid":"inner"},"uuid":"u-1","n":-7,)"
      R"("big":18446744073709551615,"max":9223372036854775807,"d":-0.25,"e":1e300,"t":true,"f":false,)"
      R"("z":null,"a":[],"o":{},"nest":[[1,{"k":"v"}],{}],"s":"\u00e9 \"q\" \\"},"class":"vm",)"
      R"("operation":"add","ref":"OpaqueRef:1"})",
      R"({"class":"vm","operation":"del","ref":"OpaqueRef:gone","snapshot":{"uuid":"x"}})",  // skipped
      R"({"class":"vbd","operation":"mod","ref":"OpaqueRef:2"})",                             // no snapshot
      R"({"class":"sr","operation":"add","ref":"OpaqueRef:3","snapshot":{"uuid":7,"x":[{"uuid":"no"}]}})",
      R"({"class":"pool","operation":"add","ref":"OpaqueRef:4","snapshot":"text","extra":{"class":"no"}})",
  };
  for (int i = 0; i < 300; ++i) {  // the same shapes many times (member-name guesses)
    events.push_back(R"({"class":"vm","operation":"add","ref":"OpaqueRef:v)" + std::to_string(i) +
                     R"(","snapshot":{"uuid":"uv)" + std::to_string(i) + R"(","VBDs":["a","b"],"m":{"k":")" +
                     std::to_string(i) + R"("},"power_state":"Running"}})");
  }
  xr::Status sax_status, value_status;
  auto [by_sax, by_value] = both_ways(answer(events), &sax_status, &value_status);
  BOOST_TEST(sax_status.is_ok());
  BOOST_TEST(value_status.is_ok());
  BOOST_TEST(by_sax.size() == events.size() - 1);
  BOOST_TEST(by_sax.size() == by_value.size());
  for (size_t i = 0; i < by_sax.size() && i < by_value.size(); ++i) {
    const EventSpool::Header a = by_sax.header(i);
    const std::string cls(a.cls), op(a.operation), ref(a.ref), uuid(a.uuid);
    const EventSpool::Header b = by_value.header(i);
    BOOST_TEST(cls == b.cls);
    BOOST_TEST(op == b.operation);
    BOOST_TEST(ref == b.ref);
    BOOST_TEST(uuid == b.uuid);
    BOOST_TEST((by_sax.snapshot(i) == by_value.snapshot(i)));
  }
  BOOST_TEST(by_sax.header(0).uuid == "u-1");
  BOOST_TEST(by_sax.snapshot(0).get("big")->as_string().value() == "18446744073709551615");
  BOOST_TEST(by_sax.snapshot(1).is_nil());
  BOOST_TEST(by_sax.header(2).uuid == "");
  BOOST_TEST(by_sax.snapshot(3).as_string().value() == "text");
}

BOOST_AUTO_TEST_CASE(sax_encoder_refuses_what_is_not_an_event) {
  for (const std::string bad : {R"({"class":"vm","operation":"add","snapshot":{}})", R"("text")", R"([1,2])"}) {
    xr::Status sax_status, value_status;
    both_ways(answer({R"({"class":"vm","operation":"add","ref":"OpaqueRef:1"})", bad}), &sax_status, &value_status);
    BOOST_TEST(!sax_status.is_ok());
    BOOST_TEST(sax_status.to_string() == value_status.to_string());
  }
}

BOOST_AUTO_TEST_SUITE_END()

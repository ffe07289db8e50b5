#include <boost/test/unit_test.hpp>

#include <thread>

#include "xapi/jsonrpc_reader.h"

using namespace xr;
using namespace xr::xapi;

namespace {
Result<Value> decode(const std::string& body) {
  return decode_response(WireFormat::kJsonRpc, body);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(jsonrpc_codec)

BOOST_AUTO_TEST_CASE(v2_result_with_every_type) {
  auto v =
      decode(R"({"jsonrpc":"2.0","result":{"s":"x\u00e9","i":9223372036854775807,"n":-3,"b":true,)"
             R"("d":0.25,"z":null,"a":[],"o":{},"big":18446744073709551615},"id":1})");
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK_EQUAL(v->get_string("s"), "x\xC3\xA9");
  BOOST_CHECK_EQUAL(*v->get("i")->as_int(), INT64_MAX);
  BOOST_CHECK_EQUAL(*v->get("n")->as_int(), -3);
  BOOST_CHECK(*v->get("b") == Value::boolean(true));
  BOOST_CHECK_EQUAL(*v->get("d")->as_double(), 0.25);
  BOOST_CHECK(v->get("z")->is_nil());
  BOOST_CHECK((*v->get("a")->as_array())->empty());
  BOOST_CHECK((*v->get("o")->as_struct())->empty());
  BOOST_CHECK_EQUAL(v->get_string("big"), "18446744073709551615");
}

BOOST_AUTO_TEST_CASE(v2_error_is_a_typed_xapi_error) {
  auto v = decode(
      R"({"jsonrpc":"2.0","error":{"code":1,"message":"VM_BAD_POWER_STATE","data":["OpaqueRef:x","halted","running"]},"id":2})");
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kXapi);
  BOOST_CHECK_EQUAL(v.status().code(), "VM_BAD_POWER_STATE");
  BOOST_REQUIRE_EQUAL(v.status().params().size(), 3u);
  BOOST_CHECK_EQUAL(v.status().params()[1], "halted");
}

BOOST_AUTO_TEST_CASE(v1_error_array_is_a_typed_xapi_error) {
  auto v = decode(R"({"result":null,"error":["SESSION_INVALID","OpaqueRef:s"],"id":2})");
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK_EQUAL(v.status().code(), "SESSION_INVALID");
}

BOOST_AUTO_TEST_CASE(v1_success_with_null_error) {
  auto v = decode(R"({"result":"OpaqueRef:1","error":null,"id":2})");
  BOOST_REQUIRE(v.is_ok());
  BOOST_CHECK_EQUAL(*v->as_string(), "OpaqueRef:1");
}

BOOST_AUTO_TEST_CASE(malformed_and_truncated_are_protocol_errors) {
  std::string good = R"({"jsonrpc":"2.0","result":{"a":[1,2,{"b":"c"}]},"id":1})";
  BOOST_REQUIRE(decode(good).is_ok());
  for (size_t n = 0; n < good.size(); ++n) {
    auto v = decode(good.substr(0, n));
    BOOST_CHECK_MESSAGE(!v.is_ok(), "truncated at " << n << " accepted");
  }
  for (const char* bad :
       {"[]", "1", R"({"id":1})", R"({"result":1,} )", "{\"result\":\"\xff\"}x"}) {
    auto v = decode(bad);
    BOOST_CHECK_MESSAGE(!v.is_ok(), "accepted " << bad);
  }
}

BOOST_AUTO_TEST_CASE(depth_limit_stops_hostile_nesting) {
  std::string deep = R"({"result":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto v = decode(deep);
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kResourceExhausted);
}

BOOST_AUTO_TEST_CASE(events_stream_through_the_sink) {
  std::string doc =
      R"({"jsonrpc":"2.0","result":{"events":[{"ref":"a"},{"ref":"b"}],"token":"t"},"id":1})";
  std::vector<std::string> refs;
  StreamSpec spec{"events", [&](Value&& v) {
                    refs.emplace_back(v.get_string("ref"));
                    return Status::ok();
                  }};
  auto v = decode_response(WireFormat::kJsonRpc, doc, {}, spec);
  BOOST_REQUIRE(v.is_ok());
  BOOST_REQUIRE_EQUAL(refs.size(), 2u);
  BOOST_CHECK_EQUAL(refs[1], "b");
  BOOST_CHECK_EQUAL(v->get_string("token"), "t");
}

BOOST_AUTO_TEST_CASE(pipe_parse_in_tiny_chunks_from_another_thread) {
  std::string doc = R"({"jsonrpc":"2.0","result":{"events":[)";
  for (int i = 0; i < 2000; ++i)
    doc += std::string(i ? "," : "") + R"({"ref":"OpaqueRef:)" + std::to_string(i) +
           R"(","x":[1,2.5,true,null]})";
  doc += R"(],"token":"t9"},"id":1})";
  size_t n = 0;
  std::string last;
  ChunkPipe pipe(64);  // tiny: the producer really waits for the parser
  std::thread producer([&] {
    for (size_t i = 0; i < doc.size(); i += 13) {
      if (!pipe.push(std::string_view(doc).substr(i, 13))) break;
    }
    pipe.close_producer();
  });
  auto v = jsonrpc_parse_pipe(pipe, {}, StreamSpec{"events", [&](Value&& e) {
                                                     ++n;
                                                     last = std::string(e.get_string("ref"));
                                                     return Status::ok();
                                                   }});
  producer.join();
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK_EQUAL(n, 2000u);
  BOOST_CHECK_EQUAL(last, "OpaqueRef:1999");
  BOOST_CHECK_EQUAL(v->get_string("token"), "t9");
}

BOOST_AUTO_TEST_CASE(pipe_parse_error_releases_a_blocked_producer) {
  ChunkPipe pipe(1024);
  bool refused = false;
  std::thread producer([&] {
    (void)pipe.push(R"({"result":{"events":[{"a":1},)");
    std::string filler(4096, ' ');
    for (int i = 0; i < 64 && !refused; ++i) refused = !pipe.push(filler);
    pipe.close_producer();
  });
  auto v = jsonrpc_parse_pipe(pipe, {}, StreamSpec{"events", [](Value&&) {
                                                     return Status(ErrorKind::kCancelled, "stop");
                                                   }});
  producer.join();
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kCancelled);
  BOOST_CHECK(refused);
  ChunkPipe truncated;
  BOOST_REQUIRE(truncated.push(R"({"result":{"events":[{"a":1})"));
  truncated.close_producer();
  BOOST_CHECK(jsonrpc_parse_pipe(truncated, {}, {}).status().kind() == ErrorKind::kProtocol);
}

BOOST_AUTO_TEST_CASE(request_writer_round_trips_through_the_reader) {
  std::string req = jsonrpc_request(
      "VM.start", {Value::string("s\"\n"), Value::boolean(false), Value::integer(-1)}, 7);
  BOOST_CHECK_EQUAL(req,
                    R"({"jsonrpc":"2.0","method":"VM.start","params":["s\"\n",false,-1],"id":7})");
}

BOOST_AUTO_TEST_SUITE_END()

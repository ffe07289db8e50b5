#include <boost/test/unit_test.hpp>

#include "xapi/xmlrpc_reader.h"
#include "xapi/xmlrpc_writer.h"

using namespace xr;
using namespace xr::xapi;

namespace {
std::string envelope(const std::string& value_xml) {
  return "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
         "<member><name>Status</name><value>Success</value></member>"
         "<member><name>Value</name>" +
         value_xml + "</member></struct></value></param></params></methodResponse>";
}
Result<Value> decode(const std::string& body) { return decode_response(WireFormat::kXmlRpc, body); }
Result<Value> decode_value(const std::string& value_xml) { return decode(envelope(value_xml)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(xmlrpc_codec)

BOOST_AUTO_TEST_CASE(untyped_value_is_a_string_and_int64_stays_exact) {
  auto v = decode_value("<value>9223372036854775807</value>");
  BOOST_REQUIRE(v.is_ok());
  BOOST_CHECK(v->is_string());
  BOOST_CHECK_EQUAL(*v->as_int(), INT64_C(9223372036854775807));
}

BOOST_AUTO_TEST_CASE(every_scalar_type_decodes) {
  auto v = decode_value(
      "<value><array><data><value><i4>-12</i4></value><value><int>7</int></value>"
      "<value><i8>-9223372036854775808</i8></value><value><boolean>1</boolean></value>"
      "<value><boolean>0</boolean></value><value><double>0.5</double></value>"
      "<value><dateTime.iso8601>20250319T04:16:24Z</dateTime.iso8601></value>"
      "<value><string>s</string></value><value><nil/></value><value></value><value/>"
      "<value><base64>aGVsbG8=</base64></value></data></array></value>");
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  const auto& a = **v->as_array();
  BOOST_REQUIRE_EQUAL(a.size(), 12u);
  BOOST_CHECK_EQUAL(*a[0].as_int(), -12);
  BOOST_CHECK(a[1] == Value::integer(7));
  BOOST_CHECK_EQUAL(*a[2].as_int(), INT64_MIN);
  BOOST_CHECK(a[3] == Value::boolean(true));
  BOOST_CHECK(a[4] == Value::boolean(false));
  BOOST_CHECK_EQUAL(*a[5].as_double(), 0.5);
  BOOST_CHECK(a[6].type() == ValueType::kDateTime);
  BOOST_CHECK_EQUAL(*a[6].as_string(), "20250319T04:16:24Z");
  BOOST_CHECK(a[7] == Value::string("s"));
  BOOST_CHECK(a[8].is_nil());
  BOOST_CHECK(a[9] == Value::string(""));
  BOOST_CHECK(a[10] == Value::string(""));
  BOOST_CHECK(a[11] == Value::string("hello"));
}

BOOST_AUTO_TEST_CASE(nested_structs_arrays_and_empty_containers) {
  auto v = decode_value(
      "<value><struct><member><name>a</name><value><struct></struct></value></member>"
      "<member><name>b</name><value><array><data></data></array></value></member>"
      "<member><name>c</name><value><array><data><value><struct><member><name>x</name>"
      "<value>1</value></member></struct></value></data></array></value></member>"
      "</struct></value>");
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK((*v->get("a")->as_struct())->empty());
  BOOST_CHECK((*v->get("b")->as_array())->empty());
  const auto& c = **v->get("c")->as_array();
  BOOST_REQUIRE_EQUAL(c.size(), 1u);
  BOOST_CHECK_EQUAL(c[0].get_string("x"), "1");
}

BOOST_AUTO_TEST_CASE(whitespace_between_elements_is_ignored_but_kept_in_strings) {
  auto v = decode(
      "<?xml version=\"1.0\"?>\n<methodResponse>\n <params>\n  <param>\n   <value>\n"
      "    <struct>\n     <member>\n      <name>Status</name>\n      <value>Success</value>\n"
      "     </member>\n     <member><name>Value</name>\n <value>  padded \n</value>\n"
      "     </member>\n    </struct>\n   </value>\n  </param>\n </params>\n</methodResponse>\n");
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK_EQUAL(*v->as_string(), "  padded \n");
}

BOOST_AUTO_TEST_CASE(escaping_and_unicode_round_trip) {
  std::string nasty = "a&b<c>d\"e'f \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 tab\tnl\n";
  Value in = Value::structure({{"k&<>", Value::string(nasty)}});
  std::string xml;
  xmlrpc_append_value(&xml, in);
  auto v = decode_value(xml);
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_CHECK(*v == in);
}

BOOST_AUTO_TEST_CASE(control_bytes_are_dropped_by_the_writer) {
  std::string xml;
  xmlrpc_append_escaped(&xml, std::string("a\x01\x1f"
                                          "b",
                                          4));
  BOOST_CHECK_EQUAL(xml, "ab");
}

BOOST_AUTO_TEST_CASE(request_writer_types_round_trip) {
  std::vector<Value> params = {Value::string("OpaqueRef:s"),
                               Value::integer(5),
                               Value::integer(INT64_C(1) << 40),
                               Value::boolean(true),
                               Value::real(60.1),
                               Value::datetime("20250101T00:00:00Z"),
                               Value(),
                               Value::array({Value::string("vm"), Value::string("task")})};
  std::string body = xmlrpc_request("event.from", params);
  BOOST_CHECK(body.find("<methodName>event.from</methodName>") != std::string::npos);
  BOOST_CHECK(body.find("<int>5</int>") != std::string::npos);
  BOOST_CHECK(body.find("<i8>1099511627776</i8>") != std::string::npos);
  // Re-read each <param> as a value fragment.
  size_t pos = 0;
  for (const Value& p : params) {
    size_t b = body.find("<param>", pos) + 7, e = body.find("</param>", b);
    auto v = xmlrpc_decode_value(body.substr(b, e - b));
    BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    BOOST_CHECK(*v == p);
    pos = e;
  }
}

BOOST_AUTO_TEST_CASE(failure_envelope_becomes_typed_xapi_error) {
  auto v = decode(
      "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
      "<member><name>Status</name><value>Failure</value></member>"
      "<member><name>ErrorDescription</name><value><array><data>"
      "<value>VM_BAD_POWER_STATE</value><value>OpaqueRef:5f</value><value>halted</value>"
      "<value>running</value></data></array></value></member></struct></value></param>"
      "</params></methodResponse>");
  BOOST_REQUIRE(!v.is_ok());
  Status s = v.status();
  BOOST_CHECK(s.kind() == ErrorKind::kXapi);
  BOOST_CHECK_EQUAL(s.code(), "VM_BAD_POWER_STATE");
  BOOST_REQUIRE_EQUAL(s.params().size(), 3u);
  BOOST_CHECK_EQUAL(s.params()[2], "running");
}

BOOST_AUTO_TEST_CASE(list_methods_answer_has_no_envelope) {
  auto v = decode(
      "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"
      "<value>VM.start</value><value>VM.get_all_records</value></data></array></value>"
      "</param></params></methodResponse>");
  BOOST_REQUIRE(v.is_ok());
  BOOST_CHECK_EQUAL((*v->as_array())->size(), 2u);
}

BOOST_AUTO_TEST_CASE(fault_is_a_protocol_error) {
  auto v = decode(
      "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1"
      "</int></value></member><member><name>faultString</name><value>boom</value></member>"
      "</struct></value></fault></methodResponse>");
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kProtocol);
  BOOST_CHECK(v.status().message().find("boom") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_documents_are_protocol_errors) {
  const char* bad[] = {
      "",
      "not xml",
      "<methodResponse>",
      "<methodResponse><params><param><value><int>x</int>"
      "</value></param></params></methodResponse>",
      "<methodResponse><params><param><value><boolean>2</boolean></value></param></params>"
      "</methodResponse>",
      "<methodResponse><params><param><value><double>1e</double></value></param></params>"
      "</methodResponse>",
      "<methodResponse><params><param><value><int>99999999999999999999</int></value></param>"
      "</params></methodResponse>",
      "<methodResponse><params><param><value><foo/></value></param></params></methodResponse>",
      "<methodResponse><params><param><value><int>1</int><int>2</int></value></param></params>"
      "</methodResponse>",
      "<methodResponse><params><param><value>a</value><value>b</value></param></params>"
      "</methodResponse>",
      "<methodResponse><params><param><value><base64>!!</base64></value></param></params>"
      "</methodResponse>",
      "<methodResponse><params></params></methodResponse>",
      "<methodResponse><params><param><value><struct><member><name>Status</name><value>"
      "Failure</value></member></struct></value></param></params></methodResponse>",
  };
  for (const char* doc : bad) {
    auto v = decode(doc);
    BOOST_CHECK_MESSAGE(!v.is_ok(), "accepted: " << doc);
    if (!v.is_ok()) BOOST_CHECK(v.status().kind() != ErrorKind::kXapi);
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_document_fails_cleanly) {
  std::string doc = envelope(
      "<value><struct><member><name>a</name><value><array><data><value><i4>1</i4></value>"
      "</data></array></value></member></struct></value>");
  BOOST_REQUIRE(decode(doc).is_ok());
  for (size_t n = 0; n < doc.size(); ++n) {
    auto v = decode(doc.substr(0, n));
    BOOST_CHECK_MESSAGE(!v.is_ok(), "truncated at " << n << " accepted");
  }
}

BOOST_AUTO_TEST_CASE(depth_limit_stops_hostile_nesting) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<value><array><data>";
  auto v = decode("<methodResponse><params><param>" + deep);
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kResourceExhausted);
}

BOOST_AUTO_TEST_CASE(entity_declarations_are_refused) {
  auto v = decode(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
      "<methodResponse><params><param><value>&b;</value></param></params></methodResponse>");
  BOOST_CHECK(!v.is_ok());
}

BOOST_AUTO_TEST_CASE(string_and_document_limits_hold) {
  DecodeLimits small;
  small.max_string_bytes = 10;
  auto v = decode_response(WireFormat::kXmlRpc,
                           envelope("<value>" + std::string(100, 'x') + "</value>"), small);
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kResourceExhausted);
  DecodeLimits tiny_doc;
  tiny_doc.max_document_bytes = 50;
  v = decode_response(WireFormat::kXmlRpc, envelope("<value>x</value>"), tiny_doc);
  BOOST_CHECK(!v.is_ok());
}

BOOST_AUTO_TEST_CASE(events_stream_one_by_one_in_small_chunks) {
  std::string events;
  for (int i = 0; i < 50; ++i) {
    events +=
        "<value><struct><member><name>class</name><value>vm</value></member>"
        "<member><name>ref</name><value>OpaqueRef:" +
        std::to_string(i) + "</value></member></struct></value>";
  }
  std::string doc = envelope(
      "<value><struct><member><name>events</name><value><array><data>" + events +
      "</data></array></value></member><member><name>token</name><value>t1</value></member>"
      "</struct></value>");
  std::vector<std::string> refs;
  StreamSpec spec{"events", [&](Value&& v) {
                    refs.emplace_back(v.get_string("ref"));
                    return Status::ok();
                  }};
  XmlRpcReader reader({}, spec);
  for (size_t i = 0; i < doc.size(); i += 7) BOOST_REQUIRE(reader.feed(doc.substr(i, 7)).is_ok());
  auto v = reader.finish();
  BOOST_REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  BOOST_REQUIRE_EQUAL(refs.size(), 50u);
  BOOST_CHECK_EQUAL(refs[49], "OpaqueRef:49");
  BOOST_CHECK_EQUAL(v->get_string("token"), "t1");
  BOOST_CHECK((*v->get("events")->as_array())->empty());
}

BOOST_AUTO_TEST_CASE(sink_error_aborts_the_parse) {
  std::string doc = envelope(
      "<value><struct><member><name>events</name><value><array><data><value>a</value>"
      "<value>b</value></data></array></value></member></struct></value>");
  int calls = 0;
  StreamSpec spec{"events", [&](Value&&) {
                    ++calls;
                    return Status(ErrorKind::kCancelled, "stop");
                  }};
  auto v = decode_response(WireFormat::kXmlRpc, doc, {}, spec);
  BOOST_REQUIRE(!v.is_ok());
  BOOST_CHECK(v.status().kind() == ErrorKind::kCancelled);
  BOOST_CHECK_EQUAL(calls, 1);
}

BOOST_AUTO_TEST_CASE(task_result_fragment_decodes) {
  auto v =
      xmlrpc_decode_value("<value><array><data><value>OpaqueRef:a</value></data></array></value>");
  BOOST_REQUIRE(v.is_ok());
  BOOST_CHECK_EQUAL(*(**v->as_array())[0].as_string(), "OpaqueRef:a");
  BOOST_CHECK(*xmlrpc_decode_value("") == Value::string(""));
  BOOST_CHECK(*xmlrpc_decode_value("<value></value>") == Value::string(""));
  BOOST_CHECK(!xmlrpc_decode_value("<value>").is_ok());
}

BOOST_AUTO_TEST_SUITE_END()

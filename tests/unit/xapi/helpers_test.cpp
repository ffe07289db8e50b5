#include <boost/test/unit_test.hpp>

#include "xapi/event_loop.h"
#include "xapi/http_transfer.h"
#include "xapi/session.h"
#include "xapi/task_waiter.h"
#include "xapi/wire_text.h"

using namespace xr;
using namespace xr::xapi;

BOOST_AUTO_TEST_SUITE(xapi_helpers)

BOOST_AUTO_TEST_CASE(host_is_slave_address_becomes_a_url_keeping_scheme_and_port) {
  BOOST_CHECK_EQUAL(host_to_url("10.0.0.2", "https://10.0.0.1"), "https://10.0.0.2");
  BOOST_CHECK_EQUAL(host_to_url("10.0.0.2", "http://127.0.0.1:8080"), "http://10.0.0.2:8080");
  BOOST_CHECK_EQUAL(host_to_url("127.0.0.1:9000", "http://127.0.0.1:8080"),
                    "http://127.0.0.1:9000");
  BOOST_CHECK_EQUAL(host_to_url("fd00::2", "https://[fd00::1]"), "https://[fd00::2]");
  BOOST_CHECK_EQUAL(host_to_url("fd00::2", "https://[fd00::1]:4443"), "https://[fd00::2]:4443");
  BOOST_CHECK_EQUAL(host_to_url("master.lan", "https://m:443"), "https://master.lan:443");
  BOOST_CHECK_EQUAL(host_to_url("https://x.y/", "http://a"), "https://x.y");
}

BOOST_AUTO_TEST_CASE(urls_are_built_with_escaped_query_values) {
  BOOST_CHECK_EQUAL(build_url("http://h:1", "/export/", {{"ref", "OpaqueRef:a-b"}, {"x", "a b&c"}}),
                    "http://h:1/export/?ref=OpaqueRef:a-b&x=a%20b%26c");
  BOOST_CHECK_EQUAL(build_url("https://h/p?a=1", "", {{"b", "2"}}), "https://h/p?a=1&b=2");
}

BOOST_AUTO_TEST_CASE(task_records_map_to_results_and_typed_errors) {
  auto task = [](const char* status, const char* result, std::vector<std::string> info) {
    Value::Array items;
    for (auto& s : info) items.push_back(Value::string(s));
    return Value::structure({{"status", Value::string(status)},
                             {"result", Value::string(result)},
                             {"error_info", Value::array(std::move(items))}});
  };
  BOOST_CHECK(task_outcome(task("pending", "", {})).status().kind() == ErrorKind::kConflict);
  Result<Value> ok = task_outcome(
      task("success", "<value><array><data><value>OpaqueRef:v</value></data></array></value>", {}));
  BOOST_REQUIRE(ok.is_ok());
  BOOST_CHECK_EQUAL(*(**ok->as_array())[0].as_string(), "OpaqueRef:v");
  BOOST_CHECK(*task_outcome(task("success", "", {})) == Value::string(""));
  Result<Value> failed =
      task_outcome(task("failure", "", {"VM_BAD_POWER_STATE", "r", "halted", "running"}));
  BOOST_CHECK_EQUAL(failed.status().code(), "VM_BAD_POWER_STATE");
  BOOST_CHECK_EQUAL(failed.status().params().size(), 3u);
  BOOST_CHECK_EQUAL(task_outcome(task("cancelled", "", {"TASK_CANCELLED", "t"})).status().code(),
                    "TASK_CANCELLED");
  BOOST_CHECK_EQUAL(task_outcome(task("cancelled", "", {})).status().code(), "TASK_CANCELLED");
  BOOST_CHECK(task_outcome(task("weird", "", {})).status().kind() == ErrorKind::kProtocol);
  BOOST_CHECK(task_outcome(task("success", "<value><int>x</int></value>", {})).status().kind() ==
              ErrorKind::kProtocol);
}

BOOST_AUTO_TEST_CASE(event_structs_become_events_and_del_has_no_snapshot) {
  Value mod =
      Value::structure({{"id", Value::string("12")},
                        {"class", Value::string("vm")},
                        {"operation", Value::string("mod")},
                        {"ref", Value::string("OpaqueRef:1")},
                        {"snapshot", Value::structure({{"name_label", Value::string("a")}})}});
  Result<Event> e = event_from_value(std::move(mod));
  BOOST_REQUIRE(e.is_ok());
  BOOST_CHECK_EQUAL(e->cls, "vm");
  BOOST_CHECK_EQUAL(e->operation, "mod");
  BOOST_CHECK_EQUAL(e->snapshot.get_string("name_label"), "a");
  Result<Event> del = event_from_value(Value::structure({{"class", Value::string("task")},
                                                         {"operation", Value::string("del")},
                                                         {"ref", Value::string("OpaqueRef:2")}}));
  BOOST_REQUIRE(del.is_ok());
  BOOST_CHECK(del->snapshot.is_nil());
  BOOST_CHECK(!event_from_value(Value::string("x")).is_ok());
  BOOST_CHECK(!event_from_value(Value::structure({{"class", Value::string("vm")}})).is_ok());
}

BOOST_AUTO_TEST_CASE(wire_text_is_strict) {
  BOOST_CHECK_EQUAL(*parse_int_text("+42"), 42);
  BOOST_CHECK(!parse_int_text("4 2").is_ok());
  BOOST_CHECK(!parse_int_text("").is_ok());
  BOOST_CHECK_EQUAL(*parse_double_text("1e3"), 1000.0);
  BOOST_CHECK(!parse_double_text("1.0x").is_ok());
  BOOST_CHECK(*parse_bool_text("1"));
  BOOST_CHECK(!*parse_bool_text("false"));
  BOOST_CHECK(!parse_bool_text("yes").is_ok());
  BOOST_CHECK_EQUAL(*base64_decode("aGVs\nbG8="), "hello");
  BOOST_CHECK_EQUAL(*base64_decode(""), "");
  BOOST_CHECK(!base64_decode("aGk=x").is_ok());
}

BOOST_AUTO_TEST_CASE(connect_failures_are_recognised_for_failover) {
  BOOST_CHECK(is_connect_failure(
      Status(ErrorKind::kTransport, std::string(kConnectFailedPrefix) + "refused")));
  BOOST_CHECK(!is_connect_failure(Status(ErrorKind::kTransport, "HTTP: reset")));
  BOOST_CHECK(!is_connect_failure(Status::xapi("SESSION_INVALID", {})));
}

BOOST_AUTO_TEST_CASE(session_ref_is_scrubbed_from_session_invalid) {
  Status s = without_session_ref(Status::xapi("SESSION_INVALID", {"OpaqueRef:secret"}));
  BOOST_CHECK_EQUAL(s.code(), "SESSION_INVALID");
  BOOST_CHECK(s.params().empty());
  BOOST_CHECK(s.to_string().find("secret") == std::string::npos);
  Status other = without_session_ref(Status::xapi("HANDLE_INVALID", {"VM", "OpaqueRef:x"}));
  BOOST_CHECK_EQUAL(other.params().size(), 2u);
}

BOOST_AUTO_TEST_SUITE_END()

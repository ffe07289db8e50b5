#include <boost/test/unit_test.hpp>

#include "it_helpers.h"
#include "xapi/task_waiter.h"

using namespace xr;
using namespace xr::xapi;
using namespace xr::xapi::test;

BOOST_AUTO_TEST_SUITE(xapi_calls)

BOOST_AUTO_TEST_CASE(vm_bad_power_state_carries_its_params) {
  SimProcess sim;
  for (WireFormat f : {WireFormat::kJsonRpc, WireFormat::kXmlRpc}) {
    SessionOptions so = options_for(sim);
    so.format = f;
    Session s(so);
    std::string vm = find_vm(s, "Running");
    BOOST_REQUIRE(!vm.empty());
    Result<Value> r =
        s.call("VM.start", {Value::string(vm), Value::boolean(false), Value::boolean(false)});
    BOOST_REQUIRE(!r.is_ok());
    Status st = r.status();
    BOOST_CHECK(st.kind() == ErrorKind::kXapi);
    BOOST_CHECK_EQUAL(st.code(), "VM_BAD_POWER_STATE");
    BOOST_REQUIRE_EQUAL(st.params().size(), 3u);
    BOOST_CHECK_EQUAL(st.params()[0], vm);
    BOOST_CHECK_EQUAL(st.params()[1], "halted");
    BOOST_CHECK_EQUAL(st.params()[2], "running");
  }
}

BOOST_AUTO_TEST_CASE(handle_invalid_is_typed) {
  SimProcess sim;
  Session s(options_for(sim));
  Result<Value> r = s.call("VM.get_record", {Value::string("OpaqueRef:nope")});
  BOOST_CHECK_EQUAL(r.status().code(), "HANDLE_INVALID");
  BOOST_REQUIRE_EQUAL(r.status().params().size(), 2u);
  BOOST_CHECK_EQUAL(r.status().params()[1], "OpaqueRef:nope");
}

BOOST_AUTO_TEST_CASE(async_call_then_wait_for_the_task_result) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vm = add_halted_vm(sim);
  BOOST_REQUIRE(!vm.empty());
  Result<std::string> task =
      s.call_async("VM.clone", {Value::string(vm), Value::string("clone-1")});
  BOOST_REQUIRE_MESSAGE(task.is_ok(), task.status().to_string());
  BOOST_CHECK(task->rfind("OpaqueRef:", 0) == 0);
  Result<Value> result = wait_task(s, *task);
  BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  std::string clone(*result->as_string());
  Result<Value> name = s.call("VM.get_name_label", {Value::string(clone)});
  BOOST_REQUIRE(name.is_ok());
  BOOST_CHECK_EQUAL(*name->as_string(), "clone-1");
  BOOST_CHECK(destroy_task(s, *task).is_ok());
}

BOOST_AUTO_TEST_CASE(async_failure_becomes_the_typed_error) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vm = find_vm(s, "Running");
  Result<std::string> task =
      s.call_async("VM.start", {Value::string(vm), Value::boolean(false), Value::boolean(false)});
  BOOST_REQUIRE_MESSAGE(task.is_ok(), task.status().to_string());
  Result<Value> result = wait_task(s, *task);
  BOOST_REQUIRE(!result.is_ok());
  BOOST_CHECK_EQUAL(result.status().code(), "VM_BAD_POWER_STATE");
  BOOST_CHECK_EQUAL(result.status().params().size(), 3u);
}

BOOST_AUTO_TEST_CASE(waiting_task_sees_a_slow_operation_finish) {
  SimProcess sim({"--vms", "4", "--op-delay", "1.5"});
  Session s(options_for(sim));
  std::string vm = find_vm(s, "Running");
  Result<std::string> task = s.call_async("VM.clean_shutdown", {Value::string(vm)});
  BOOST_REQUIRE(task.is_ok());
  Result<Value> result = wait_task(s, *task);
  BOOST_REQUIRE_MESSAGE(result.is_ok(), result.status().to_string());
  BOOST_CHECK_EQUAL(*s.call("VM.get_power_state", {Value::string(vm)})->as_string(), "Halted");
}

BOOST_AUTO_TEST_CASE(cancelled_task_reports_task_cancelled) {
  SimProcess sim({"--vms", "4", "--op-delay", "3"});
  Session s(options_for(sim));
  std::string vm = add_halted_vm(sim);
  Result<std::string> task =
      s.call_async("VM.start", {Value::string(vm), Value::boolean(false), Value::boolean(false)});
  BOOST_REQUIRE(task.is_ok());
  BOOST_REQUIRE(cancel_task(s, *task).is_ok());
  Result<Value> result = wait_task(s, *task);
  BOOST_REQUIRE(!result.is_ok());
  BOOST_CHECK_EQUAL(result.status().code(), "TASK_CANCELLED");
}

BOOST_AUTO_TEST_CASE(wait_gives_up_at_its_deadline) {
  SimProcess sim({"--vms", "4", "--op-delay", "5"});
  Session s(options_for(sim));
  std::string vm = add_halted_vm(sim);
  Result<std::string> task =
      s.call_async("VM.start", {Value::string(vm), Value::boolean(false), Value::boolean(false)});
  BOOST_REQUIRE(task.is_ok());
  TaskWaitOptions o;
  o.timeout_ms = 600;
  o.event_timeout_s = 0.3;
  Result<Value> result = wait_task(s, *task, o);
  BOOST_CHECK(result.status().kind() == ErrorKind::kTimeout);
}

BOOST_AUTO_TEST_SUITE_END()

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "it_helpers.h"
#include "xapi/event_loop.h"

using namespace xr;
using namespace xr::xapi;
using namespace xr::xapi::test;
using namespace std::chrono_literals;

namespace {

// A consumer that keeps ref → name_label of every VM, as the XO model would.
class VmMirror {
 public:
  void apply(EventBatch&& batch) {
    std::lock_guard<std::mutex> lock(mu_);
    if (batch.full_resync) {
      names_.clear();
      ++full_resyncs_;
    }
    for (Event& e : batch.events) {
      if (e.cls != "vm") continue;
      if (e.operation == "del")
        names_.erase(e.ref);
      else
        names_[e.ref] = std::string(e.snapshot.get_string("name_label"));
    }
    cv_.notify_all();
  }
  // Waits until pred(names, full_resyncs) holds; false after 20 s.
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return pred(names_, full_resyncs_); });
  }
  std::map<std::string, std::string> names() {
    std::lock_guard<std::mutex> lock(mu_);
    return names_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::string> names_;
  int full_resyncs_ = 0;
};

std::map<std::string, std::string> truth(Session& s) {
  std::map<std::string, std::string> out;
  Result<Value> all = s.call("VM.get_all_records", {});
  for (const Member& m : **all->as_struct())
    out[m.name] = std::string(m.value.get_string("name_label"));
  return out;
}

std::string json_result(const std::string& answer) {
  // {"result": "OpaqueRef:..."} → OpaqueRef:...
  size_t a = answer.find("OpaqueRef:");
  return answer.substr(a, answer.find('"', a) - a);
}

void stream_follows_live_changes_and_resyncs_after_a_restart(WireFormat format) {
  SimProcess sim({"--vms", "6"});
  SessionOptions so = options_for(sim);
  so.format = format;
  Session loop_session(so);
  Session checker(options_for(sim));
  VmMirror mirror;
  EventLoopOptions o;
  o.classes = {"vm"};
  o.event_timeout_s = 5.0;
  o.min_backoff_ms = 100;
  EventLoop loop(loop_session, o, [&](EventBatch&& b) { mirror.apply(std::move(b)); });
  Status loop_status;
  std::thread runner([&] { loop_status = loop.run(); });

  auto initial = truth(checker);
  BOOST_CHECK(mirror.wait_for([&](auto& n, int full) { return full == 1 && n == initial; }));

  std::string vm = initial.begin()->first;
  sim.control("rename", R"({"ref": ")" + vm + R"(", "name": "renamed-live"})");
  BOOST_CHECK(
      mirror.wait_for([&](auto& n, int) { return n.count(vm) && n.at(vm) == "renamed-live"; }));
  std::string added = json_result(sim.control("add_vm", R"({"name": "added-live"})"));
  BOOST_CHECK(mirror.wait_for([&](auto& n, int) { return n.count(added) == 1; }));

  // Restart: sessions die; meanwhile a VM disappears and another is renamed. After the
  // resync nothing stale may remain.
  std::string victim = json_result(sim.control("add_vm", R"({"name": "victim"})"));
  BOOST_CHECK(mirror.wait_for([&](auto& n, int) { return n.count(victim) == 1; }));
  sim.control("restart", R"({"booting_seconds": 0.5})");
  sim.control("remove_vm", R"({"ref": ")" + victim + R"("})");
  sim.control("rename", R"({"ref": ")" + vm + R"(", "name": "renamed-during-restart"})");
  BOOST_CHECK(
      mirror.wait_for([&](auto& n, int full) { return full >= 2 && n.count(victim) == 0; }));
  auto after = truth(checker);
  BOOST_CHECK(mirror.wait_for([&](auto& n, int) { return n == after; }));
  BOOST_CHECK_EQUAL(mirror.names().at(vm), "renamed-during-restart");
  BOOST_CHECK_GE(loop.resyncs(), 2u);

  // Stop while blocked in event.from: prompt.
  std::this_thread::sleep_for(300ms);
  auto t0 = std::chrono::steady_clock::now();
  loop.stop();
  runner.join();
  BOOST_CHECK_LT(std::chrono::steady_clock::now() - t0, 2s);
  BOOST_CHECK(loop_status.is_ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(xapi_events)

BOOST_AUTO_TEST_CASE(stream_follows_live_changes_and_resyncs_after_a_restart_jsonrpc) {
  stream_follows_live_changes_and_resyncs_after_a_restart(WireFormat::kJsonRpc);
}

BOOST_AUTO_TEST_CASE(stream_follows_live_changes_and_resyncs_after_a_restart_xmlrpc) {
  stream_follows_live_changes_and_resyncs_after_a_restart(WireFormat::kXmlRpc);
}

BOOST_AUTO_TEST_CASE(dropped_connections_keep_the_token_no_resync) {
  SimProcess sim({"--vms", "3"});
  Session session(options_for(sim));
  VmMirror mirror;
  EventLoopOptions o;
  o.classes = {"vm"};
  o.event_timeout_s = 5.0;
  o.min_backoff_ms = 50;
  EventLoop loop(session, o, [&](EventBatch&& b) { mirror.apply(std::move(b)); });
  std::thread runner([&] { (void)loop.run(); });
  BOOST_REQUIRE(mirror.wait_for([](auto& n, int full) { return full == 1 && !n.empty(); }));
  std::string vm = mirror.names().begin()->first;
  sim.control("drop", R"({"method": "event.from", "count": 2})");
  // Releases the blocked call; the next ones are dropped while the VM changes again.
  sim.control("rename", R"({"ref": ")" + vm + R"(", "name": "first"})");
  BOOST_CHECK(mirror.wait_for([&](auto& n, int) { return n.at(vm) == "first"; }));
  sim.control("rename", R"({"ref": ")" + vm + R"(", "name": "second"})");
  BOOST_CHECK(mirror.wait_for([&](auto& n, int) { return n.at(vm) == "second"; }));
  loop.stop();
  runner.join();
  BOOST_CHECK_EQUAL(loop.resyncs(), 1u);  // the token survived: no full resync
  BOOST_CHECK_GE(loop.failures(), 1u);
}

BOOST_AUTO_TEST_CASE(events_lost_leads_to_a_full_resync) {
  SimProcess sim({"--vms", "3"});
  Session session(options_for(sim));
  VmMirror mirror;
  EventLoopOptions o;
  o.classes = {"vm"};
  o.event_timeout_s = 5.0;
  EventLoop loop(session, o, [&](EventBatch&& b) { mirror.apply(std::move(b)); });
  std::thread runner([&] { (void)loop.run(); });
  BOOST_REQUIRE(mirror.wait_for([](auto&, int full) { return full == 1; }));
  sim.control("fail", R"({"method": "event.from", "count": 1, "error": ["EVENTS_LOST"]})");
  std::string added = add_halted_vm(sim, "after-fault");  // releases the blocked call
  BOOST_CHECK(mirror.wait_for([&](auto& n, int full) { return full == 2 && n.count(added); }));
  loop.stop();
  runner.join();
  BOOST_CHECK_EQUAL(loop.resyncs(), 2u);
}

BOOST_AUTO_TEST_CASE(wrong_password_stops_the_loop_with_the_error) {
  SimProcess sim({"--vms", "1"});
  SessionOptions so = options_for(sim);
  so.password = "wrong";
  Session s(so);
  EventLoop loop(s, {}, [](EventBatch&&) {});
  Status st = loop.run();
  BOOST_CHECK_EQUAL(st.code(), "SESSION_AUTHENTICATION_FAILED");
}

BOOST_AUTO_TEST_SUITE_END()

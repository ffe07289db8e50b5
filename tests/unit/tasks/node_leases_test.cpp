#include <boost/test/unit_test.hpp>

#include "tasks/node_leases.h"
#include "tasks/task_store.h"
#include "test_store.h"

using namespace xr;
using namespace xr::tasks;

BOOST_AUTO_TEST_SUITE(node_leases)

BOOST_AUTO_TEST_CASE(a_node_expires_when_its_heartbeat_is_older_than_the_lease) {
  xr::testing::TestStore t;
  auto db = t.open();
  auto leases = NodeLeases::open(*db);
  BOOST_REQUIRE(leases.is_ok());
  BOOST_TEST(*(*leases)->expired("a", 10'000, 3'000));  // never seen: dead
  BOOST_REQUIRE((*leases)->heartbeat("a", 10'000).is_ok());
  BOOST_TEST(!*(*leases)->expired("a", 12'999, 3'000));
  BOOST_TEST(*(*leases)->expired("a", 13'001, 3'000));
  BOOST_REQUIRE((*leases)->heartbeat("a", 13'000).is_ok());  // upsert
  BOOST_TEST(!*(*leases)->expired("a", 13'001, 3'000));
  BOOST_TEST(*(*leases)->expired("b", 13'001, 3'000));
}

// Only the named node's running jobs: not another node's (even one whose name it prefixes),
// not queued ones, not plain tasks.
BOOST_AUTO_TEST_CASE(a_dead_nodes_running_jobs_are_interrupted_and_nothing_else) {
  xr::testing::TestStore t;
  auto db = t.open();
  auto store = TaskStore::open(*db);
  BOOST_REQUIRE(store.is_ok());
  auto& s = **store;
  const std::string props = R"({"name":"REST API: start VM"})";
  auto a = s.create({"u", props, R"({"action":"start"})"});
  auto b = s.create({"u", props, R"({"action":"start"})"});
  auto c = s.create({"u", props, R"({"action":"start"})"});
  auto queued = s.create({"u", props, R"({"action":"start"})"});
  auto plain = s.create({"u", props, ""});
  BOOST_REQUIRE(plain.is_ok());
  BOOST_REQUIRE(s.claim_job("A|1:1")->has_value());
  BOOST_REQUIRE(s.claim_job("A2|1:1")->has_value());
  BOOST_REQUIRE(s.claim_job("B|1:1")->has_value());
  auto n = s.interrupt_jobs_of_node("A", "interrupted: node A stopped");
  BOOST_REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  BOOST_TEST(*n == 1);
  BOOST_TEST((s.get(a->id)->status == TaskStatus::kInterrupted));
  BOOST_TEST(s.get(a->id)->result->find("node A stopped") != std::string::npos);
  BOOST_TEST(s.get(b->id)->pending());
  BOOST_TEST(s.get(c->id)->pending());
  BOOST_TEST((s.get(queued->id)->job_state == JobState::kQueued));
  BOOST_TEST(s.get(plain->id)->pending());
}

BOOST_AUTO_TEST_SUITE_END()

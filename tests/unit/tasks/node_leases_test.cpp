#include <boost/test/unit_test.hpp>

#include "store/postgres_db.h"
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

// On a shared store a task without a job belongs to the node that made it (an export or an
// import in its transfer role): that node's restart or expired lease ends it, not another's.
BOOST_AUTO_TEST_CASE(a_dead_nodes_job_less_tasks_are_interrupted_on_a_shared_store) {
  xr::testing::TestStore t;
  if (!t.postgres()) return;  // SQLite: one node, every pending task is interrupted at start
  auto on_a = store::open_postgres(t.conninfo(), "", 5000, "A");
  auto on_b = store::open_postgres(t.conninfo(), "", 5000, "B");
  BOOST_REQUIRE(on_a.is_ok() && on_b.is_ok());
  auto a = TaskStore::open(**on_a);
  auto b = TaskStore::open(**on_b);
  BOOST_REQUIRE(a.is_ok() && b.is_ok());
  auto mine = (*a)->create({"u", R"({"name":"export"})", ""});
  auto theirs = (*b)->create({"u", R"({"name":"export"})", ""});
  BOOST_REQUIRE(mine.is_ok() && theirs.is_ok());
  auto owners = (*b)->running_job_owners();
  BOOST_REQUIRE(owners.is_ok());
  BOOST_TEST(owners->size() == 2u);
  auto n = (*b)->interrupt_jobs_of_node("A", "interrupted: node A stopped");
  BOOST_REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  BOOST_TEST(*n == 1);
  BOOST_TEST(((*b)->get(mine->id)->status == TaskStatus::kInterrupted));
  BOOST_TEST((*b)->get(theirs->id)->pending());
}

BOOST_AUTO_TEST_SUITE_END()

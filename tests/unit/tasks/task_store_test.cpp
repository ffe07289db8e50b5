#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <filesystem>
#include <set>
#include <string>

#include "test_store.h"
#include "tasks/task_id.h"
#include "tasks/task_store.h"

using namespace xr;
using namespace xr::tasks;

namespace {

struct Counter : ChangeNotifier {
  void tasks_changed() override { ++changes; }
  void job_queued() override { ++jobs; }
  int changes = 0;
  int jobs = 0;
};

struct Fixture {
  Fixture() : db(store_.open()) {}
  std::unique_ptr<TaskStore> open(int64_t keep = TaskStore::kDefaultGcKeep) {
    auto s = TaskStore::open(*db, &counter, keep);
    BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return std::move(s).value();
  }
  Task create(TaskStore& s, std::string user = "u1", std::string job = "") {
    auto t = s.create({user, R"({"name":"REST API: start VM","type":"xo:rest-api:action"})", job});
    BOOST_REQUIRE_MESSAGE(t.is_ok(), t.status().to_string());
    return *t;
  }
  xr::testing::TestStore store_;
  std::unique_ptr<store::Db> db;
  Counter counter;
};

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  BOOST_REQUIRE(!d.HasParseError());
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tasks)

BOOST_AUTO_TEST_CASE(ids_are_xo_base36_time_then_a_random_suffix) {
  BOOST_CHECK_EQUAL(base36_time(1753098047598), "0mdd1basu");
  const std::string id = new_task_id(1753098047598);
  BOOST_CHECK_EQUAL(id.substr(0, 10), "0mdd1basu-");
  BOOST_CHECK_EQUAL(id.size(), 20u);
  BOOST_CHECK(plausible_task_id(id));
  BOOST_CHECK(new_task_id(1) != new_task_id(1));
  BOOST_CHECK(!plausible_task_id("../x"));
  BOOST_CHECK(!plausible_task_id(""));
  BOOST_CHECK(!plausible_task_id("ABC"));
}

BOOST_AUTO_TEST_CASE(a_new_task_is_pending_with_xo_shape) {
  Fixture f;
  auto s = f.open();
  Task t = f.create(*s);
  BOOST_CHECK(t.pending());
  BOOST_CHECK_EQUAL(f.counter.changes, 1);
  BOOST_CHECK_EQUAL(f.counter.jobs, 0);
  auto d = parse(to_json(t));
  BOOST_CHECK_EQUAL(d["id"].GetString(), t.id);
  BOOST_CHECK_EQUAL(d["status"].GetString(), std::string("pending"));
  BOOST_CHECK_EQUAL(d["properties"]["name"].GetString(), std::string("REST API: start VM"));
  BOOST_CHECK(d["start"].IsInt64());
  BOOST_CHECK_EQUAL(d["updatedAt"].GetInt64(), d["start"].GetInt64());
  BOOST_CHECK(!d.HasMember("end"));
  BOOST_CHECK(!d.HasMember("result"));
  BOOST_CHECK(!d.HasMember("infos"));
}

BOOST_AUTO_TEST_CASE(finished_tasks_keep_their_status_and_get_an_end) {
  Fixture f;
  auto s = f.open();
  Task t = f.create(*s);
  BOOST_REQUIRE(s->set_progress(t.id, 40).is_ok());
  BOOST_REQUIRE(s->add_info(t.id, "step one", R"({"n":1})").is_ok());
  auto done = s->finish(t.id, TaskStatus::kSuccess, R"("2b02")");
  BOOST_REQUIRE(done.is_ok());
  BOOST_CHECK(done->end.has_value());
  BOOST_CHECK_EQUAL(*done->progress, 100);
  auto again = s->finish(t.id, TaskStatus::kFailure, error_json("late"));
  BOOST_CHECK(again.status().kind() == ErrorKind::kConflict);
  BOOST_CHECK(s->request_abort(t.id).status().kind() == ErrorKind::kConflict);
  auto read = s->get(t.id);
  BOOST_REQUIRE(read.is_ok());
  auto d = parse(to_json(*read));
  BOOST_CHECK_EQUAL(d["status"].GetString(), std::string("success"));
  BOOST_CHECK_EQUAL(d["result"].GetString(), std::string("2b02"));
  BOOST_CHECK_EQUAL(d["infos"][0]["message"].GetString(), std::string("step one"));
  BOOST_CHECK_EQUAL(d["infos"][0]["data"]["n"].GetInt(), 1);
}

BOOST_AUTO_TEST_CASE(sub_tasks_are_nested_steps_with_their_own_outcome) {
  Fixture f;
  auto s = f.open();
  Task t = f.create(*s);
  auto first = s->begin_subtask(t.id, "host 1: evacuate");
  BOOST_REQUIRE(first.is_ok());
  BOOST_REQUIRE(s->end_subtask(t.id, *first, TaskStatus::kSuccess, "").is_ok());
  auto second = s->begin_subtask(t.id, "host 2: evacuate");
  BOOST_REQUIRE(second.is_ok());
  BOOST_CHECK_EQUAL(*first, 0u);
  BOOST_CHECK_EQUAL(*second, 1u);
  BOOST_REQUIRE(s->end_subtask(t.id, 1, TaskStatus::kFailure, error_json("boom")).is_ok());
  BOOST_CHECK(s->end_subtask(t.id, 5, TaskStatus::kSuccess, "").status().kind() == ErrorKind::kNotFound);
  auto d = parse(to_json(*s->get(t.id)));
  BOOST_REQUIRE(d["tasks"].IsArray());
  BOOST_REQUIRE_EQUAL(d["tasks"].Size(), 2u);  // one after the other: both at the top level
  BOOST_CHECK_EQUAL(d["tasks"][0]["id"].GetString(), t.id + ".0");
  BOOST_CHECK_EQUAL(d["tasks"][0]["properties"]["name"].GetString(), std::string("host 1: evacuate"));
  BOOST_CHECK_EQUAL(d["tasks"][0]["status"].GetString(), std::string("success"));
  BOOST_CHECK(d["tasks"][0].HasMember("end"));
  BOOST_CHECK_EQUAL(d["tasks"][1]["result"]["message"].GetString(), std::string("boom"));
  BOOST_CHECK(d["status"] == "pending");
}

BOOST_AUTO_TEST_CASE(a_sub_task_begun_inside_another_nests_in_it_with_its_properties) {
  Fixture f;
  auto s = f.open();
  Task t = f.create(*s);
  auto outer = s->begin_subtask(t.id, "Restarting hosts");
  auto host = s->begin_subtask(t.id, "Restarting host h1", R"({"hostId":"h1","hostName":"host one","name":"ignored"})");
  auto evacuate = s->begin_subtask(t.id, "Evacuate", R"({"hostId":"h1"})");
  BOOST_REQUIRE(outer.is_ok() && host.is_ok() && evacuate.is_ok());
  BOOST_CHECK_EQUAL(*evacuate, 2u);
  BOOST_REQUIRE(s->end_subtask(t.id, *evacuate, TaskStatus::kSuccess, "").is_ok());
  auto restart = s->begin_subtask(t.id, "Restart");  // a sibling of Evacuate (which ended)
  BOOST_REQUIRE(restart.is_ok());
  BOOST_REQUIRE(s->end_subtask(t.id, *restart, TaskStatus::kSuccess, "").is_ok());
  BOOST_REQUIRE(s->end_subtask(t.id, *host, TaskStatus::kSuccess, "").is_ok());
  BOOST_REQUIRE(s->end_subtask(t.id, *outer, TaskStatus::kSuccess, "").is_ok());
  auto after = s->begin_subtask(t.id, "Migrate VMs back");  // top level again
  BOOST_REQUIRE(after.is_ok());
  BOOST_CHECK(s->begin_subtask(t.id, "x", "[1]").status().kind() == ErrorKind::kInvalidArgument);
  auto d = parse(to_json(*s->get(t.id)));
  BOOST_REQUIRE_EQUAL(d["tasks"].Size(), 2u);
  const auto& h = d["tasks"][0]["tasks"][0];
  BOOST_CHECK_EQUAL(h["id"].GetString(), t.id + ".1");
  BOOST_CHECK_EQUAL(h["properties"]["name"].GetString(), std::string("Restarting host h1"));
  BOOST_CHECK_EQUAL(h["properties"]["hostName"].GetString(), std::string("host one"));
  BOOST_CHECK_EQUAL(h["status"].GetString(), std::string("success"));
  BOOST_REQUIRE_EQUAL(h["tasks"].Size(), 2u);
  BOOST_CHECK_EQUAL(h["tasks"][0]["properties"]["name"].GetString(), std::string("Evacuate"));
  BOOST_CHECK_EQUAL(h["tasks"][1]["id"].GetString(), t.id + ".3");
  BOOST_CHECK_EQUAL(d["tasks"][1]["properties"]["name"].GetString(), std::string("Migrate VMs back"));
  BOOST_CHECK_EQUAL(d["tasks"][1]["status"].GetString(), std::string("pending"));
}

BOOST_AUTO_TEST_CASE(listing_is_oldest_first_and_per_user) {
  Fixture f;
  auto s = f.open();
  Task a = f.create(*s, "u1");
  Task b = f.create(*s, "u2");
  Task c = f.create(*s, "u1");
  auto all = s->list();
  BOOST_REQUIRE(all.is_ok());
  BOOST_REQUIRE_EQUAL(all->size(), 3u);
  BOOST_CHECK_EQUAL((*all)[0].id, a.id);
  BOOST_CHECK_EQUAL((*all)[2].id, c.id);
  auto mine = s->list("u1");
  BOOST_REQUIRE(mine.is_ok());
  BOOST_CHECK_EQUAL(mine->size(), 2u);
  BOOST_CHECK(s->get("nope").status().kind() == ErrorKind::kNotFound);
  (void)b;
}

BOOST_AUTO_TEST_CASE(pending_tasks_cannot_be_deleted_finished_ones_can) {
  Fixture f;
  auto s = f.open();
  Task a = f.create(*s, "u1");
  Task b = f.create(*s, "u2");
  BOOST_CHECK(s->remove(a.id).kind() == ErrorKind::kConflict);
  BOOST_REQUIRE(s->finish(a.id, TaskStatus::kFailure, error_json("boom")).is_ok());
  BOOST_REQUIRE(s->finish(b.id, TaskStatus::kSuccess, "").is_ok());
  BOOST_CHECK(s->remove(a.id, "u2").kind() == ErrorKind::kNotFound);
  BOOST_CHECK(s->remove(a.id, "u1").is_ok());
  BOOST_CHECK(s->get(a.id).status().kind() == ErrorKind::kNotFound);
  auto n = s->remove_finished("u1");
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 0);
  n = s->remove_finished();
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 1);
}

BOOST_AUTO_TEST_CASE(a_restart_interrupts_pending_tasks_with_a_reason) {
  Fixture f;
  auto s = f.open();
  Task a = f.create(*s);
  Task b = f.create(*s);
  BOOST_REQUIRE(s->finish(b.id, TaskStatus::kSuccess, "").is_ok());
  auto n = s->interrupt_pending("xapi-rest restarted");
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 1);
  auto t = s->get(a.id);
  BOOST_REQUIRE(t.is_ok());
  BOOST_CHECK(t->status == TaskStatus::kInterrupted);
  BOOST_CHECK(t->end.has_value());
  auto d = parse(*t->result);
  BOOST_CHECK_EQUAL(d["message"].GetString(), std::string("xapi-rest restarted"));
  BOOST_CHECK(s->get(b.id)->status == TaskStatus::kSuccess);
}

BOOST_AUTO_TEST_CASE(jobs_are_claimed_oldest_first_and_interrupted_when_the_runner_dies) {
  Fixture f;
  auto s = f.open();
  Task a = f.create(*s, "u1", R"({"action":"start"})");
  Task b = f.create(*s, "u1", R"({"action":"pause"})");
  f.create(*s);  // no job
  BOOST_CHECK_EQUAL(f.counter.jobs, 2);
  auto c = s->claim_job();
  BOOST_REQUIRE(c.is_ok() && c->has_value());
  BOOST_CHECK_EQUAL((*c)->id, a.id);
  BOOST_CHECK((*c)->job_state == JobState::kRunning);
  auto n = s->interrupt_running_jobs("the runner died");
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 1);
  BOOST_CHECK(s->get(a.id)->status == TaskStatus::kInterrupted);
  BOOST_CHECK(s->get(b.id)->pending());
  c = s->claim_job();
  BOOST_REQUIRE(c.is_ok() && c->has_value());
  BOOST_CHECK_EQUAL((*c)->id, b.id);
  c = s->claim_job();
  BOOST_REQUIRE(c.is_ok());
  BOOST_CHECK(!c->has_value());
}

BOOST_AUTO_TEST_CASE(only_the_jobs_of_a_gone_runner_are_interrupted) {
  Fixture f;
  auto s = f.open();
  Task a = f.create(*s, "u1", R"({"action":"start"})");
  Task b = f.create(*s, "u1", R"({"action":"pause"})");
  BOOST_REQUIRE(s->claim_job("old:1").is_ok());
  BOOST_REQUIRE(s->claim_job("new:2").is_ok());
  auto owners = s->running_job_owners();
  BOOST_REQUIRE(owners.is_ok());
  BOOST_CHECK_EQUAL(owners->size(), 2u);
  auto n = s->interrupt_jobs_of("old:1", "gone");
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 1);
  BOOST_CHECK(s->get(a.id)->status == TaskStatus::kInterrupted);
  BOOST_CHECK(s->get(b.id)->pending());
  owners = s->running_job_owners();
  BOOST_REQUIRE(owners.is_ok());
  BOOST_REQUIRE_EQUAL(owners->size(), 1u);
  BOOST_CHECK_EQUAL((*owners)[0], "new:2");
  Task c = f.create(*s, "u1", R"({"action":"unpause"})");
  BOOST_REQUIRE(s->claim_job().is_ok());  // no runner named
  n = s->interrupt_jobs_of("", "gone");
  BOOST_REQUIRE(n.is_ok());
  BOOST_CHECK_EQUAL(*n, 1);
  BOOST_CHECK(s->get(c.id)->status == TaskStatus::kInterrupted);
  BOOST_CHECK(s->get(b.id)->pending());
}

BOOST_AUTO_TEST_CASE(garbage_collection_keeps_the_newest_and_every_pending_task) {
  Fixture f;
  auto s = f.open(3);
  Task pending = f.create(*s);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Task t = f.create(*s);
    BOOST_REQUIRE(s->finish(t.id, TaskStatus::kSuccess, "").is_ok());
    ids.push_back(t.id);
  }
  Task last = f.create(*s);
  auto all = s->list();
  BOOST_REQUIRE(all.is_ok());
  std::set<std::string> left;
  for (const Task& t : *all) left.insert(t.id);
  BOOST_CHECK(left.count(pending.id) == 1);
  BOOST_CHECK(left.count(last.id) == 1);
  BOOST_CHECK(left.count(ids[0]) == 0);
  BOOST_CHECK(left.count(ids[4]) == 1);
  BOOST_CHECK_LE(all->size(), 4u);
}

BOOST_AUTO_TEST_CASE(changes_since_a_revision_name_updates_and_removals) {
  Fixture f;
  auto s = f.open();
  auto r0 = s->revision();
  BOOST_REQUIRE(r0.is_ok());
  Task a = f.create(*s);
  Task b = f.create(*s);
  BOOST_REQUIRE(s->finish(b.id, TaskStatus::kSuccess, "").is_ok());
  auto mid = s->revision();
  BOOST_REQUIRE(mid.is_ok());
  BOOST_REQUIRE(s->remove(b.id).is_ok());
  BOOST_REQUIRE(s->set_progress(a.id, 10).is_ok());
  auto c = s->changes_since(*mid);
  BOOST_REQUIRE(c.is_ok());
  BOOST_REQUIRE_EQUAL(c->updated.size(), 1u);
  BOOST_CHECK_EQUAL(c->updated[0].id, a.id);
  BOOST_REQUIRE_EQUAL(c->removed.size(), 1u);
  BOOST_CHECK_EQUAL(c->removed[0], b.id);
  // The removal's own revision: after `mid`, before the progress change of a.
  BOOST_REQUIRE_EQUAL(c->removed_at.size(), 1u);
  BOOST_CHECK_EQUAL(c->removed_at[0], *mid + 1);
  BOOST_CHECK_LT(c->removed_at[0], c->updated[0].revision);
  BOOST_CHECK_GT(c->revision, *mid);
  auto all = s->changes_since(*r0);
  BOOST_REQUIRE(all.is_ok());
  BOOST_CHECK_EQUAL(all->updated.size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()

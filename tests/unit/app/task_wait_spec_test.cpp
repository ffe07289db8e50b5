// The hand-off of a task wait from a worker to the stream role (routes/task_wait.h): the
// query written into X-Accel-Redirect reads back as the same spec, and a malformed one (the
// stream role trusts nothing it cannot parse) is refused.
#include <boost/test/unit_test.hpp>

#include "routes/task_wait.h"

using xr::app::Request;
using xr::app::TaskWaitSpec;

namespace {

Request handed_off(const std::string& query) {
  return Request({"REQUEST_METHOD=GET", "REQUEST_URI=/rest/v0/tasks/x?wait", "DOCUMENT_URI=/_xr/wait",
                  "QUERY_STRING=" + query},
                 "");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(task_wait_spec)

BOOST_AUTO_TEST_CASE(query_round_trips) {
  TaskWaitSpec a;
  a.task_id = "0mxbgbidw-diwchqseyy";
  a.answer = TaskWaitSpec::Answer::kXoSync;
  a.new_object = true;
  a.created = "vm-snapshots";
  auto b = TaskWaitSpec::parse(handed_off(a.query()));
  BOOST_REQUIRE(b.is_ok());
  BOOST_CHECK_EQUAL(b->task_id, a.task_id);
  BOOST_CHECK(b->until == TaskWaitSpec::Until::kDone);
  BOOST_CHECK(b->answer == TaskWaitSpec::Answer::kXoSync);
  BOOST_CHECK(b->new_object);
  BOOST_CHECK_EQUAL(b->created, "vm-snapshots");

  TaskWaitSpec c;
  c.task_id = "0mxbgbidw-diwchqseyy";
  c.until = TaskWaitSpec::Until::kChange;
  c.after_revision = 42;
  c.answer = TaskWaitSpec::Answer::kDelete;
  auto d = TaskWaitSpec::parse(handed_off(c.query()));
  BOOST_REQUIRE(d.is_ok());
  BOOST_CHECK(d->until == TaskWaitSpec::Until::kChange);
  BOOST_CHECK_EQUAL(d->after_revision, 42);
  BOOST_CHECK(d->answer == TaskWaitSpec::Answer::kDelete);
  BOOST_CHECK(!d->new_object);
}

BOOST_AUTO_TEST_CASE(malformed_hand_offs_are_refused) {
  for (const char* q : {"", "task=../etc&until=done&answer=task", "task=0mxbgbidw-diwchqseyy&until=soon&answer=task",
                        "task=0mxbgbidw-diwchqseyy&until=change&after=x&answer=task",
                        "task=0mxbgbidw-diwchqseyy&until=done&answer=everything",
                        "task=0mxbgbidw-diwchqseyy&until=done&answer=xo&created=../vms"}) {
    BOOST_CHECK_MESSAGE(!TaskWaitSpec::parse(handed_off(q)).is_ok(), q);
  }
}

BOOST_AUTO_TEST_CASE(a_task_done_satisfies_until_done_a_newer_revision_until_change) {
  xr::tasks::Task t;
  t.revision = 7;
  TaskWaitSpec done;
  BOOST_CHECK(!done.satisfied_by(t));
  t.status = xr::tasks::TaskStatus::kFailure;
  BOOST_CHECK(done.satisfied_by(t));
  TaskWaitSpec change;
  change.until = TaskWaitSpec::Until::kChange;
  change.after_revision = 7;
  BOOST_CHECK(!change.satisfied_by(t));
  t.revision = 8;
  BOOST_CHECK(change.satisfied_by(t));
}

BOOST_AUTO_TEST_SUITE_END()

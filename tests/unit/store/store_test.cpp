#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/postgres_db.h"
#include "test_store.h"

using namespace xr;
using namespace xr::store;

namespace {

using TempDb = xr::testing::TestStore;

constexpr std::string_view kItemsV1 =
    "CREATE TABLE items(id TEXT PRIMARY KEY, n BIGINT NOT NULL, data BLOB, note TEXT)";
constexpr std::string_view kItemsV2 = "CREATE INDEX items_n ON items(n)";
constexpr std::string_view kItemsV1Postgres =
    "CREATE TABLE items(id TEXT PRIMARY KEY, n BIGINT NOT NULL, data BYTEA, note TEXT)";
constexpr Migration kSteps[] = {{1, kItemsV1, kItemsV1Postgres}, {2, kItemsV2}};

}  // namespace

BOOST_AUTO_TEST_SUITE(store)

BOOST_AUTO_TEST_CASE(parameters_bind_by_number_wherever_they_appear) {
  TempDb t;
  auto db = t.open();
  BOOST_REQUIRE(db->migrate("items", kSteps).is_ok());
  auto n = db->exec("INSERT INTO items(note,n,id,data) VALUES($3,$2,$1,$4)",
                    {"a", 5, "first", Param::blob(std::string_view("\0x\0", 3))});
  BOOST_REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
  BOOST_CHECK_EQUAL(*n, 1);
  BOOST_REQUIRE(db->exec("INSERT INTO items(id,n,note) VALUES($1,$2,$3)", {"b", int64_t{1} << 40, nullptr}).is_ok());
  auto rows = db->query("SELECT id,n,data,note FROM items WHERE id=$1 OR $1='' ORDER BY n", {""});
  BOOST_REQUIRE(rows.is_ok());
  BOOST_REQUIRE_EQUAL(rows->size(), 2u);
  const Row& a = (*rows)[0];
  BOOST_CHECK_EQUAL(a.text(0), "a");
  BOOST_CHECK_EQUAL(a.integer(1), 5);
  BOOST_CHECK_EQUAL(a.blob(2).size(), 3u);
  BOOST_CHECK_EQUAL(a.text(3), "first");
  const Row& b = (*rows)[1];
  BOOST_CHECK_EQUAL(b.integer(1), int64_t{1} << 40);
  BOOST_CHECK(b.is_null(2));
  BOOST_CHECK(b.is_null(3));
}

BOOST_AUTO_TEST_CASE(unportable_placeholders_and_missing_arguments_are_refused) {
  TempDb t;
  auto db = t.open();
  BOOST_REQUIRE(db->migrate("items", kSteps).is_ok());
  BOOST_CHECK(!db->query("SELECT * FROM items WHERE id=?", {"x"}).is_ok());
  BOOST_CHECK(!db->query("SELECT * FROM items WHERE id=:id", {"x"}).is_ok());
  BOOST_CHECK(!db->query("SELECT * FROM items WHERE id=$2", {"x"}).is_ok());
  BOOST_CHECK(!db->exec("DELETE FROM items; DELETE FROM items").is_ok());
  // The connection stays usable after a refused statement.
  BOOST_CHECK(db->query("SELECT * FROM items WHERE id=$1", {"x"}).is_ok());
}

BOOST_AUTO_TEST_CASE(upsert_and_returning_are_available) {
  TempDb t;
  auto db = t.open();
  BOOST_REQUIRE(db->migrate("items", kSteps).is_ok());
  constexpr std::string_view kUpsert =
      "INSERT INTO items(id,n) VALUES($1,$2) ON CONFLICT(id) DO UPDATE SET n=items.n+excluded.n "
      "RETURNING n";
  BOOST_CHECK_EQUAL((*db->query(kUpsert, {"k", 2}))[0].integer(0), 2);
  BOOST_CHECK_EQUAL((*db->query(kUpsert, {"k", 3}))[0].integer(0), 5);
}

BOOST_AUTO_TEST_CASE(a_constraint_violation_is_a_conflict) {
  TempDb t;
  auto db = t.open();
  BOOST_REQUIRE(db->migrate("items", kSteps).is_ok());
  BOOST_REQUIRE(db->exec("INSERT INTO items(id,n) VALUES($1,1)", {"x"}).is_ok());
  auto dup = db->exec("INSERT INTO items(id,n) VALUES($1,1)", {"x"});
  BOOST_CHECK(dup.status().kind() == ErrorKind::kConflict);
}

BOOST_AUTO_TEST_CASE(a_transaction_commits_or_rolls_back_as_a_whole) {
  TempDb t;
  auto db = t.open();
  BOOST_REQUIRE(db->migrate("items", kSteps).is_ok());
  Status failed = in_transaction(*db, [](Db& d) {
    XR_RETURN_IF_ERROR(d.exec("INSERT INTO items(id,n) VALUES('a',1)").status());
    return d.exec("INSERT INTO items(id,n) VALUES('a',2)").status();  // conflict
  });
  BOOST_CHECK(!failed.is_ok());
  BOOST_CHECK(db->query("SELECT id FROM items")->empty());
  {
    auto tx = db->begin();
    BOOST_REQUIRE(tx.is_ok());
    BOOST_REQUIRE(db->exec("INSERT INTO items(id,n) VALUES('b',1)").is_ok());
  }  // dropped without commit
  BOOST_CHECK(db->query("SELECT id FROM items")->empty());
  Status ok = in_transaction(*db, [](Db& d) {
    return d.exec("INSERT INTO items(id,n) VALUES('c',1)").status();
  });
  BOOST_CHECK(ok.is_ok());
  // Another connection sees the committed row.
  BOOST_CHECK_EQUAL(t.open()->query("SELECT id FROM items")->size(), 1u);
}

BOOST_AUTO_TEST_CASE(migrations_run_once_in_order_and_resume_from_the_stored_version) {
  TempDb t;
  {
    auto db = t.open();
    BOOST_CHECK_EQUAL(*db->schema_version("items"), 0);
    constexpr Migration first[] = {{1, kItemsV1, kItemsV1Postgres}};
    BOOST_REQUIRE(db->migrate("items", first).is_ok());
    BOOST_CHECK_EQUAL(*db->schema_version("items"), 1);
  }
  auto db = t.open();
  // Step 1 would fail if run again (CREATE TABLE without IF NOT EXISTS).
  Status st = db->migrate("items", kSteps);
  BOOST_REQUIRE_MESSAGE(st.is_ok(), st.to_string());
  BOOST_CHECK_EQUAL(*db->schema_version("items"), 2);
  BOOST_CHECK(db->migrate("items", kSteps).is_ok());
  // Components are versioned independently.
  BOOST_CHECK_EQUAL(*db->schema_version("other"), 0);
}

BOOST_AUTO_TEST_CASE(a_failing_migration_leaves_the_previous_version) {
  TempDb t;
  auto db = t.open();
  constexpr Migration bad[] = {{1, kItemsV1, kItemsV1Postgres}, {2, "CREATE TABLE x(a TEXT); CREATE TABLE broken("}};
  BOOST_CHECK(!db->migrate("items", bad).is_ok());
  BOOST_CHECK_EQUAL(*db->schema_version("items"), 1);
  BOOST_CHECK(db->query("SELECT * FROM x").status().kind() != ErrorKind::kOk);
}

BOOST_AUTO_TEST_CASE(processes_migrating_at_once_apply_each_step_once) {
  TempDb t;
  // Step 2 inserts a row: it must appear once however many processes migrate together.
  constexpr Migration steps[] = {{1, kItemsV1, kItemsV1Postgres}, {2, "INSERT INTO items(id,n) VALUES('once',1)"}};
  std::vector<pid_t> kids;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      auto db = t.try_open();
      if (!db.is_ok()) { fprintf(stderr, "open: %s\n", db.status().to_string().c_str()); _exit(1); }
      Status st = (*db)->migrate("items", steps);
      if (!st.is_ok()) fprintf(stderr, "migrate: %s\n", st.to_string().c_str());
      _exit(st.is_ok() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    BOOST_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  BOOST_CHECK_EQUAL(t.open()->query("SELECT id FROM items")->size(), 1u);
}

// PostgreSQL only (SQLite is one node): a notification reaches a listener of another
// connection at commit, with its origin, and never before the transaction commits.
BOOST_AUTO_TEST_CASE(notifications_reach_listeners_with_their_origin_at_commit) {
  TempDb t;
  if (!t.postgres()) return;
  auto listener = open_listener(t.conninfo(), "", {"xr_test"});
  BOOST_REQUIRE_MESSAGE(listener.is_ok(), listener.status().to_string());
  auto db = open_postgres(t.conninfo(), "", 5000, "node-a");
  BOOST_REQUIRE(db.is_ok());
  BOOST_TEST((*listener)->wait(50)->empty());
  {
    auto tx = (*db)->begin();
    BOOST_REQUIRE(tx.is_ok());
    BOOST_REQUIRE((*db)->notify("xr_test", "job").is_ok());
    BOOST_TEST((*listener)->wait(200)->empty());  // not yet committed
    BOOST_REQUIRE(tx->commit().is_ok());
  }
  auto notes = (*listener)->wait(5000);
  BOOST_REQUIRE(notes.is_ok());
  BOOST_REQUIRE_EQUAL(notes->size(), 1u);
  BOOST_TEST((*notes)[0].channel == "xr_test");
  BOOST_TEST((*notes)[0].origin == "node-a");
  BOOST_TEST((*notes)[0].payload == "job");
}

BOOST_AUTO_TEST_SUITE_END()

// A fresh, empty store for one unit test, on the backend the run asks for: SQLite in a
// temporary folder by default; when XR_TEST_PG holds a libpq connection string (set by
// tests/pg/pg-cluster.sh run, ctest's `pg` label), a new PostgreSQL schema of that database,
// dropped afterwards. Tests open as many connections (threads, processes) as they need.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "store/postgres_db.h"
#include "store/sqlite_db.h"

namespace xr::testing {

class TestStore {
 public:
  TestStore() {
    if (const char* pg = std::getenv("XR_TEST_PG"); pg != nullptr && *pg != '\0') {
      static std::atomic<int> counter{0};
      schema_ = "t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      base_ = pg;
      auto admin = store::open_postgres(base_);
      BOOST_REQUIRE_MESSAGE(admin.is_ok(), admin.status().to_string());
      BOOST_REQUIRE((*admin)->exec_script("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_).is_ok());
      conninfo_ = base_ + " options='-csearch_path=" + schema_ + "'";
    } else {
      char tmpl[] = "/tmp/xr-store-test.XXXXXX";
      dir_ = mkdtemp(tmpl);
      path_ = dir_ + "/xapi-rest.db";
    }
  }
  ~TestStore() {
    if (!schema_.empty()) {
      auto admin = store::open_postgres(base_);
      if (admin.is_ok()) (void)(*admin)->exec_script("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    } else {
      std::filesystem::remove_all(dir_);
    }
  }
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  bool postgres() const { return !schema_.empty(); }
  // A new connection (result unchecked: for child processes that report by exit status).
  Result<std::unique_ptr<store::Db>> try_open() const {
    return postgres() ? store::open_postgres(conninfo_) : store::open_sqlite(path_);
  }
  std::unique_ptr<store::Db> open() const {
    auto r = try_open();
    BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return std::move(r).value();
  }
  // The SQLite file (empty on PostgreSQL): for tests of SQLite-only behaviour.
  const std::string& path() const { return path_; }
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string dir_, path_;
  std::string base_, schema_, conninfo_;
};

}  // namespace xr::testing

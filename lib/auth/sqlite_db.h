// Thin RAII wrapper over one SQLite connection and its prepared statements. One
// connection per thread (never shared); several processes may open the same file
// (WAL + busy timeout). Calls block on disk I/O and on other writers up to the timeout.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::auth {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  // Binds by 1-based index. Text is copied.
  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, int64_t value);
  Statement& bind_blob(int i, const void* data, size_t size);
  Statement& bind_null(int i);
  // Steps once: true when a row is available, false when done; errors as Status.
  Result<bool> step();
  // Runs to completion (for writes).
  Status run();
  void reset();

  std::string text(int col) const;
  int64_t integer(int col) const;
  bool is_null(int col) const;
  std::string_view blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating if needed) `path` in WAL mode with a busy timeout.
  static Result<std::unique_ptr<Database>> open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Result<Statement> prepare(std::string_view sql);
  Status exec(const std::string& sql);
  int64_t changes() const;
  sqlite3* handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// A Status from the connection's last error.
Status sqlite_error(sqlite3* db, std::string_view what);

}  // namespace xr::auth

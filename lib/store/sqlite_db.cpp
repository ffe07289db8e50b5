#include "store/sqlite_db.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <charconv>
#include <unordered_map>

namespace xr::store {

namespace {

Status sqlite_error(sqlite3* db, std::string_view what) {
  int code = db != nullptr ? sqlite3_errcode(db) : SQLITE_NOMEM;
  ErrorKind kind = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorKind::kTimeout
                   : code == SQLITE_CONSTRAINT                     ? ErrorKind::kConflict
                                                                   : ErrorKind::kIo;
  return Status(kind, std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no memory"));
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

class SqliteDb final : public Db {
 public:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  ~SqliteDb() override {
    cache_.clear();  // statements before the connection
    sqlite3_close_v2(db_);
  }
  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<int64_t> exec(std::string_view sql, Params params) override {
    XR_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare_bound(sql, params));
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return finish(s, sqlite_error(db_, "sqlite step"));
    }
    XR_RETURN_IF_ERROR(finish(s, Status::ok()));
    return static_cast<int64_t>(sqlite3_changes(db_));
  }

  Result<Rows> query(std::string_view sql, Params params) override {
    XR_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepare_bound(sql, params));
    Rows rows;
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return finish(s, sqlite_error(db_, "sqlite step"));
      rows.push_back(read_row(s));
    }
    XR_RETURN_IF_ERROR(finish(s, Status::ok()));
    return rows;
  }

  Status exec_script(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      Status s = sqlite_error(db_, "sqlite exec");
      sqlite3_free(err);
      return s;
    }
    return Status::ok();
  }

 protected:
  Status begin_write() override { return exec_script("BEGIN IMMEDIATE"); }
  Status commit_tx() override { return exec_script("COMMIT"); }
  Status rollback_tx() override {
    if (sqlite3_get_autocommit(db_) != 0) return Status::ok();  // SQLite already rolled back
    return exec_script("ROLLBACK");
  }

 private:
  // Resets the statement (keeping it cached) and passes `s` through.
  static Status finish(sqlite3_stmt* stmt, Status s) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return s;
  }

  Result<sqlite3_stmt*> prepare_bound(std::string_view sql, Params params) {
    XR_ASSIGN_OR_RETURN(sqlite3_stmt * s, prepared(sql));
    const int n = sqlite3_bind_parameter_count(s);
    for (int i = 1; i <= n; ++i) {
      // `$k` binds the k-th argument wherever it appears; `?` and `:name` are not portable.
      const char* name = sqlite3_bind_parameter_name(s, i);
      size_t k = 0;
      if (name == nullptr || name[0] != '$' ||
          std::from_chars(name + 1, name + std::char_traits<char>::length(name), k).ec != std::errc() ||
          k == 0 || k > params.size()) {
        return finish(s, Status(ErrorKind::kInternal, "bad placeholder or missing argument in: " +
                                                          std::string(sql)));
      }
      bind(s, i, params.begin()[k - 1]);
    }
    return s;
  }

  static void bind(sqlite3_stmt* s, int i, const Param& p) {
    switch (p.kind()) {
      case Param::Kind::kNull: sqlite3_bind_null(s, i); break;
      case Param::Kind::kInt: sqlite3_bind_int64(s, i, p.integer()); break;
      case Param::Kind::kText:
        sqlite3_bind_text(s, i, p.bytes().data(), static_cast<int>(p.bytes().size()), SQLITE_TRANSIENT);
        break;
      case Param::Kind::kBlob:
        sqlite3_bind_blob(s, i, p.bytes().data(), static_cast<int>(p.bytes().size()), SQLITE_TRANSIENT);
        break;
    }
  }

  Result<sqlite3_stmt*> prepared(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second.get();
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, &tail) != SQLITE_OK) {
      return sqlite_error(db_, "sqlite prepare");
    }
    StmtPtr owner(raw);
    if (raw == nullptr) return Status(ErrorKind::kInternal, "empty statement");
    if (std::string_view(tail, static_cast<size_t>(sql.data() + sql.size() - tail))
            .find_first_not_of(" \t\r\n;") != std::string_view::npos) {
      return Status(ErrorKind::kInternal, "several statements in one exec/query: " + key);
    }
    if (cache_.size() >= kMaxCached) cache_.clear();
    return cache_.emplace(std::move(key), std::move(owner)).first->second.get();
  }

  static Row read_row(sqlite3_stmt* s) {
    const int n = sqlite3_column_count(s);
    std::vector<Row::Cell> cells(static_cast<size_t>(n));
    for (int c = 0; c < n; ++c) {
      Row::Cell& cell = cells[static_cast<size_t>(c)];
      switch (sqlite3_column_type(s, c)) {
        case SQLITE_NULL: break;
        case SQLITE_INTEGER:
          cell.null = false;
          cell.bytes = std::to_string(sqlite3_column_int64(s, c));
          break;
        case SQLITE_BLOB: {
          cell.null = false;
          const void* p = sqlite3_column_blob(s, c);
          cell.bytes.assign(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s, c)));
          break;
        }
        default: {
          cell.null = false;
          const unsigned char* t = sqlite3_column_text(s, c);
          cell.bytes.assign(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, c)));
        }
      }
    }
    return Row(std::move(cells));
  }

  static constexpr size_t kMaxCached = 128;
  sqlite3* db_;
  std::unordered_map<std::string, StmtPtr> cache_;
};

}  // namespace

Result<std::unique_ptr<Db>> open_sqlite(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto db = std::make_unique<SqliteDb>(raw);  // owns the handle even on failure
  if (rc != SQLITE_OK) return sqlite_error(raw, "opening " + path);
  // The database holds password hashes: 0600 always. chmod by path, never open()+close():
  // closing any descriptor of the file would drop this process's SQLite (POSIX) locks.
  // SQLite gives the -wal and -shm files it creates the mode of the database file.
  if (path != ":memory:" && !path.empty() && path.front() != ':') {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string file = path + suffix;
      struct stat st {};
      if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) (void)::chmod(file.c_str(), 0600);
    }
  }
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  // Switching a new file to WAL takes an exclusive lock and SQLite does not call the busy
  // handler for it: processes opening the same new database at once retry here instead.
  for (int waited_ms = 0;; waited_ms += 5) {
    Status st = db->exec_script("PRAGMA journal_mode=WAL");
    if (st.is_ok()) break;
    if (st.kind() != ErrorKind::kTimeout || waited_ms >= busy_timeout_ms) return st;
    sqlite3_sleep(5);
  }
  XR_RETURN_IF_ERROR(db->exec_script("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<Db>(std::move(db));
}

}  // namespace xr::store

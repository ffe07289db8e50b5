#include "auth/sqlite_db.h"

namespace xr::auth {

namespace {
constexpr int kBusyTimeoutMs = 5000;
}

Status sqlite_error(sqlite3* db, std::string_view what) {
  int code = db != nullptr ? sqlite3_errcode(db) : SQLITE_ERROR;
  ErrorKind kind = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? ErrorKind::kTimeout
                   : code == SQLITE_CONSTRAINT                     ? ErrorKind::kConflict
                                                                   : ErrorKind::kIo;
  return Status(kind, std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no memory"));
}

Statement& Statement::bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int i, int64_t value) {
  sqlite3_bind_int64(stmt_, i, value);
  return *this;
}
Statement& Statement::bind_blob(int i, const void* data, size_t size) {
  sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, "sqlite step");
}

Status Statement::run() {
  for (;;) {
    XR_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return Status::ok();
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t),
                                                    static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}
int64_t Statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::string_view Statement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Database> owner(new Database(db));
  if (rc != SQLITE_OK) return sqlite_error(db, "opening " + path);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  XR_RETURN_IF_ERROR(owner->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                 "PRAGMA foreign_keys=ON;"));
  return owner;
}

Database::~Database() { sqlite3_close_v2(db_); }

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db_, "sqlite prepare");
  }
  return Statement(db_, stmt);
}

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = sqlite_error(db_, "sqlite exec");
    sqlite3_free(err);
    return s;
  }
  return Status::ok();
}

int64_t Database::changes() const { return sqlite3_changes(db_); }

}  // namespace xr::auth

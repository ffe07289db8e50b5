#include "store/postgres_db.h"

#include <libpq-fe.h>
#include <poll.h>

#include <unordered_map>

namespace xr::store {

namespace {

// pg_advisory_xact_lock key of the one cluster-wide write lock ("xr" + 1).
constexpr std::string_view kWriteLock = "SELECT pg_advisory_xact_lock(7876001)";
constexpr Oid kByteaOid = 17;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// SQLSTATE classes: 23 integrity (unique, foreign key) → conflict, as SQLite's CONSTRAINT;
// lock / serialization / deadlock / cancelled statement → timeout, as SQLite's BUSY.
ErrorKind kind_of(const PGresult* r) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr) return ErrorKind::kIo;
  std::string_view s(state);
  if (s.starts_with("23")) return ErrorKind::kConflict;
  if (s == "55P03" || s == "40001" || s == "40P01" || s == "57014") return ErrorKind::kTimeout;
  if (s.starts_with("08") || s.starts_with("57P")) return ErrorKind::kUnavailable;
  return ErrorKind::kIo;
}

std::string trimmed(const char* msg) {
  std::string m = msg != nullptr ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// "\x0a1b..." (bytea's text output) → bytes.
std::string unhex(std::string_view t) {
  if (!t.starts_with("\\x")) return std::string(t);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve((t.size() - 2) / 2);
  for (size_t i = 2; i + 1 < t.size(); i += 2) {
    out.push_back(static_cast<char>((nibble(t[i]) << 4) | nibble(t[i + 1])));
  }
  return out;
}

class PostgresDb final : public Db {
 public:
  explicit PostgresDb(PGconn* conn) : conn_(conn) {}
  ~PostgresDb() override { PQfinish(conn_); }
  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<int64_t> exec(std::string_view sql, Params params) override {
    XR_ASSIGN_OR_RETURN(ResultPtr r, run(sql, params));
    const char* n = PQcmdTuples(r.get());
    return n != nullptr && *n != '\0' ? std::stoll(n) : int64_t{0};
  }

  Result<Rows> query(std::string_view sql, Params params) override {
    XR_ASSIGN_OR_RETURN(ResultPtr r, run(sql, params));
    Rows rows;
    const int nrows = PQntuples(r.get());
    const int ncols = PQnfields(r.get());
    rows.reserve(static_cast<size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      std::vector<Row::Cell> cells(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(r.get(), i, c) != 0) continue;
        Row::Cell& cell = cells[static_cast<size_t>(c)];
        cell.null = false;
        std::string_view v(PQgetvalue(r.get(), i, c), static_cast<size_t>(PQgetlength(r.get(), i, c)));
        cell.bytes = PQftype(r.get(), c) == kByteaOid ? unhex(v) : std::string(v);
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  Status exec_script(std::string_view sql) override {
    XR_RETURN_IF_ERROR(ensure_connected());
    ResultPtr r(PQexec(conn_, std::string(sql).c_str()));
    return check(r.get(), "postgresql exec");
  }

  Status notify(std::string_view channel, std::string_view payload) override {
    const std::string text = origin_.empty() ? std::string(payload) : origin_ + "|" + std::string(payload);
    return exec("SELECT pg_notify($1,$2)", {channel, text}).status();
  }

  void set_origin(std::string origin) { origin_ = std::move(origin); }
  std::string_view origin() const override { return origin_; }

  Status connect_setup(int lock_timeout_ms) {
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists" notices
    lock_timeout_ms_ = lock_timeout_ms;
    return setup();
  }

 protected:
  Status begin_write() override {
    XR_RETURN_IF_ERROR(exec_script("BEGIN"));
    Status s = exec_script(kWriteLock);
    if (!s.is_ok()) (void)rollback_tx();
    return s;
  }
  Status commit_tx() override { return exec_script("COMMIT"); }
  Status rollback_tx() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return Status::ok();
    ResultPtr r(PQexec(conn_, "ROLLBACK"));
    return check(r.get(), "postgresql rollback");
  }

 private:
  struct Prepared {
    std::string name;
    int nparams = 0;
  };

  // Per connection: the lock bound and the version table (created under an advisory lock:
  // CREATE TABLE IF NOT EXISTS races between processes on PostgreSQL).
  Status setup() {
    // One simple query = one implicit transaction: the lock is held until the table commits.
    return exec_script("SET lock_timeout=" + std::to_string(lock_timeout_ms_) +
                       "; SELECT pg_advisory_xact_lock(7876002);"
                       " CREATE TABLE IF NOT EXISTS schema_versions("
                       "component TEXT PRIMARY KEY, version BIGINT NOT NULL)");
  }

  // A connection lost between calls (server restart, network) is re-established once; a
  // statement in flight when it broke fails (kUnavailable) and is not retried.
  Status ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::ok();
    PQreset(conn_);
    prepared_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Status(ErrorKind::kUnavailable, "postgresql: " + trimmed(PQerrorMessage(conn_)));
    }
    return setup();
  }

  Status check(const PGresult* r, std::string_view what) {
    const ExecStatusType st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::ok();
    const ErrorKind kind = PQstatus(conn_) != CONNECTION_OK ? ErrorKind::kUnavailable : kind_of(r);
    return Status(kind, std::string(what) + ": " +
                            trimmed(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  }

  // Prepares once per connection (parameter types inferred by the server from the text,
  // as SQLite's are dynamic), then binds: text and integers in text form, blobs binary.
  Result<const Prepared*> prepared(std::string_view sql) {
    std::string key(sql);
    if (auto it = prepared_.find(key); it != prepared_.end()) return &it->second;
    if (prepared_.size() >= kMaxCached) {
      XR_RETURN_IF_ERROR(exec_script("DEALLOCATE ALL"));
      prepared_.clear();
    }
    Prepared p{"xr" + std::to_string(++next_id_), 0};
    ResultPtr r(PQprepare(conn_, p.name.c_str(), key.c_str(), 0, nullptr));
    XR_RETURN_IF_ERROR(check(r.get(), "postgresql prepare"));
    ResultPtr d(PQdescribePrepared(conn_, p.name.c_str()));
    XR_RETURN_IF_ERROR(check(d.get(), "postgresql describe"));
    p.nparams = PQnparams(d.get());
    return &prepared_.emplace(std::move(key), std::move(p)).first->second;
  }

  Result<ResultPtr> run(std::string_view sql, Params params) {
    XR_RETURN_IF_ERROR(ensure_connected());
    XR_ASSIGN_OR_RETURN(const Prepared* p, prepared(sql));
    if (static_cast<size_t>(p->nparams) > params.size()) {
      return Status(ErrorKind::kInternal, "missing argument in: " + std::string(sql));
    }
    const auto n = static_cast<size_t>(p->nparams);
    std::vector<std::string> ints(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0), formats(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const Param& a = params.begin()[i];
      switch (a.kind()) {
        case Param::Kind::kNull: break;
        case Param::Kind::kInt:
          ints[i] = std::to_string(a.integer());
          values[i] = ints[i].c_str();
          break;
        case Param::Kind::kText:
        case Param::Kind::kBlob:
          // Text parameters are NUL-terminated copies (text format ignores lengths).
          if (a.kind() == Param::Kind::kBlob) {
            formats[i] = 1;
            values[i] = a.bytes().data() != nullptr ? a.bytes().data() : "";
            lengths[i] = static_cast<int>(a.bytes().size());
          } else {
            ints[i] = std::string(a.bytes());
            values[i] = ints[i].c_str();
          }
          break;
      }
    }
    ResultPtr r(PQexecPrepared(conn_, p->name.c_str(), p->nparams, values.data(), lengths.data(),
                               formats.data(), 0));
    XR_RETURN_IF_ERROR(check(r.get(), "postgresql"));
    return r;
  }

  static constexpr size_t kMaxCached = 128;
  PGconn* conn_;
  int lock_timeout_ms_ = 5000;
  std::string origin_;
  uint64_t next_id_ = 0;
  std::unordered_map<std::string, Prepared> prepared_;
};

// dbname is expanded as a whole connection string; later keywords override it.
PGconn* connect(const std::string& conninfo, const std::string& password) {
  std::vector<const char*> keys = {"dbname", "application_name", "connect_timeout"};
  std::vector<const char*> values = {conninfo.c_str(), "xapi-rest", "10"};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return PQconnectdbParams(keys.data(), values.data(), 1);
}

Status connect_error(PGconn* conn) {
  if (conn == nullptr) return Status(ErrorKind::kInternal, "postgresql: no memory");
  // The message names host and reason; libpq never puts the password in it.
  return Status(ErrorKind::kUnavailable, "connecting to postgresql: " + trimmed(PQerrorMessage(conn)));
}

class PgListener final : public Listener {
 public:
  PgListener(std::string conninfo, std::string password, std::vector<std::string> channels)
      : conninfo_(std::move(conninfo)), password_(std::move(password)), channels_(std::move(channels)) {}
  ~PgListener() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }

  Status start() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = connect(conninfo_, password_);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return connect_error(conn_);
    for (const std::string& ch : channels_) {
      char* quoted = PQescapeIdentifier(conn_, ch.c_str(), ch.size());
      if (quoted == nullptr) return Status(ErrorKind::kInvalidArgument, "bad channel " + ch);
      ResultPtr r(PQexec(conn_, ("LISTEN " + std::string(quoted)).c_str()));
      PQfreemem(quoted);
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        return Status(ErrorKind::kUnavailable, "postgresql LISTEN: " + trimmed(PQresultErrorMessage(r.get())));
      }
    }
    return Status::ok();
  }

  Result<std::vector<Note>> wait(int timeout_ms) override {
    std::vector<Note> notes;
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      PQreset(conn_);
      XR_RETURN_IF_ERROR(start());
      return Status(ErrorKind::kUnavailable, "postgresql listener reconnected: resynchronise");
    }
    drain(notes);
    if (!notes.empty()) return notes;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (p.fd < 0 || ::poll(&p, 1, timeout_ms) < 0) return notes;  // EINTR: the caller loops
    if (PQconsumeInput(conn_) == 0) {
      return Status(ErrorKind::kUnavailable, "postgresql listener: " + trimmed(PQerrorMessage(conn_)));
    }
    drain(notes);
    return notes;
  }

 private:
  void drain(std::vector<Note>& out) {
    while (PGnotify* n = PQnotifies(conn_)) {
      std::string_view extra(n->extra != nullptr ? n->extra : "");
      Note note{n->relname, "", std::string(extra)};
      if (size_t bar = extra.find('|'); bar != std::string_view::npos) {
        note.origin = std::string(extra.substr(0, bar));
        note.payload = std::string(extra.substr(bar + 1));
      }
      out.push_back(std::move(note));
      PQfreemem(n);
    }
  }

  std::string conninfo_, password_;
  std::vector<std::string> channels_;
  PGconn* conn_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Db>> open_postgres(const std::string& conninfo, const std::string& password,
                                          int lock_timeout_ms, const std::string& origin) {
  PGconn* conn = connect(conninfo, password);
  auto db = std::make_unique<PostgresDb>(conn);  // owns the handle even on failure
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return connect_error(conn);
  db->set_origin(origin);
  XR_RETURN_IF_ERROR(db->connect_setup(lock_timeout_ms));
  return std::unique_ptr<Db>(std::move(db));
}

Result<std::unique_ptr<Listener>> open_listener(const std::string& conninfo, const std::string& password,
                                                const std::vector<std::string>& channels) {
  auto l = std::make_unique<PgListener>(conninfo, password, channels);
  XR_RETURN_IF_ERROR(l->start());
  return std::unique_ptr<Listener>(std::move(l));
}

}  // namespace xr::store

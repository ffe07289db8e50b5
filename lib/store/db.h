// store::Db: one connection to the durable database (SQLite now, PostgreSQL later), with
// parameterised statements, transactions and per-component schema migrations. One Db per
// thread, never shared between threads; any number of processes may open the same database.
// Every call may block on disk I/O and on other writers (bounded by the busy timeout).
//
// Portable SQL only, written once for every backend: placeholders `$1, $2, ...` (a number
// may repeat or come out of order), `ON CONFLICT ... DO UPDATE`, `RETURNING`, BIGINT/TEXT
// columns. Where a dialect must differ (column types, identity columns), the Migration
// carries both texts; domain stores never test the dialect.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xr::store {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter: null, integer, text or blob. Holds views: the caller's data must
// outlive the call it is passed to (always true for temporaries in the argument list).
class Param {
 public:
  enum class Kind { kNull, kInt, kText, kBlob };
  Param(std::nullptr_t) : kind_(Kind::kNull) {}  // NOLINT: implicit by design
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Param(T v) : kind_(Kind::kInt), int_(static_cast<int64_t>(v)) {}  // NOLINT
  Param(std::string_view v) : kind_(Kind::kText), text_(v) {}  // NOLINT
  Param(const std::string& v) : kind_(Kind::kText), text_(v) {}  // NOLINT
  Param(const char* v) : kind_(Kind::kText), text_(v) {}  // NOLINT
  static Param blob(std::string_view bytes) { Param p(bytes); p.kind_ = Kind::kBlob; return p; }

  Kind kind() const { return kind_; }
  int64_t integer() const { return int_; }
  std::string_view bytes() const { return text_; }

 private:
  Kind kind_;
  int64_t int_ = 0;
  std::string_view text_;
};

using Params = std::initializer_list<Param>;

// One result row, materialised: columns by 0-based index.
class Row {
 public:
  struct Cell {
    bool null = true;
    std::string bytes;  // text, blob, or the decimal form of an integer
  };
  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool is_null(size_t col) const { return cells_.at(col).null; }
  const std::string& text(size_t col) const { return cells_.at(col).bytes; }
  std::string_view blob(size_t col) const { return cells_.at(col).bytes; }
  // 0 for null or non-numeric text.
  int64_t integer(size_t col) const;

 private:
  std::vector<Cell> cells_;
};

using Rows = std::vector<Row>;

// One schema step of one component. `sql` may hold several statements; `postgres`, when
// not empty, replaces it on PostgreSQL. Versions start at 1 and increase by 1; a step,
// once landed, is never edited (add a new one).
struct Migration {
  int version;
  std::string_view sql;
  std::string_view postgres = {};
};

class Transaction;

class Db {
 public:
  virtual ~Db() = default;
  virtual Dialect dialect() const = 0;

  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> exec(std::string_view sql, Params params = {}) = 0;
  // Runs one statement and returns every row it produced.
  virtual Result<Rows> query(std::string_view sql, Params params = {}) = 0;
  // Runs a parameterless script of several statements (migrations, pragmas).
  virtual Status exec_script(std::string_view sql) = 0;
  // Tells the other nodes sharing this store that `channel` changed (PostgreSQL NOTIFY,
  // delivered at commit; store::Listener receives it). One node (SQLite): nothing to do,
  // the node's own shared-memory signals already woke its processes.
  virtual Status notify(std::string_view /*channel*/, std::string_view /*payload*/) { return Status::ok(); }
  // The node this connection speaks for on a shared store ("" on SQLite: one node).
  virtual std::string_view origin() const { return {}; }

  // Brings `component`'s schema to the last version of `steps` (sorted by version), each
  // step in its own transaction with the version row; a database already at or past the
  // last version costs one read. Safe when several processes open the database at once.
  Status migrate(std::string_view component, std::span<const Migration> steps);
  // The component's schema version (0 when it has none yet).
  Result<int> schema_version(std::string_view component);

  // Starts a write transaction (SQLite: BEGIN IMMEDIATE, so it never fails half-way on an
  // upgrade to a write lock). Not nested. Rolled back unless commit() succeeds.
  Result<Transaction> begin();

 protected:
  friend class Transaction;
  virtual Status begin_write() = 0;
  virtual Status commit_tx() = 0;
  virtual Status rollback_tx() = 0;
};

// RAII write transaction: rolls back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Db* db) : db_(db) {}
  Transaction(Transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  Db* db_;
};

// Runs fn(db) inside a write transaction and commits; any error rolls it back.
template <typename Fn>
Status in_transaction(Db& db, Fn&& fn) {
  XR_ASSIGN_OR_RETURN(Transaction tx, db.begin());
  XR_RETURN_IF_ERROR(fn(db));
  return tx.commit();
}

}  // namespace xr::store

#include "store/db.h"

#include <charconv>

namespace xr::store {

namespace {

// The version table is the same text on every backend.
constexpr std::string_view kVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_versions("
    "component TEXT PRIMARY KEY, version BIGINT NOT NULL)";

}  // namespace

int64_t Row::integer(size_t col) const {
  const Cell& c = cells_.at(col);
  int64_t v = 0;
  if (!c.null) std::from_chars(c.bytes.data(), c.bytes.data() + c.bytes.size(), v);
  return v;
}

Result<int> Db::schema_version(std::string_view component) {
  constexpr std::string_view kRead = "SELECT version FROM schema_versions WHERE component=$1";
  auto rows = query(kRead, {component});
  if (!rows.is_ok()) {
    // Only a database that never had a table lacks it: create it (the one write) and retry.
    XR_RETURN_IF_ERROR(exec_script(kVersionTable));
    rows = query(kRead, {component});
    if (!rows.is_ok()) return rows.status();
  }
  return rows->empty() ? 0 : static_cast<int>((*rows)[0].integer(0));
}

Status Db::migrate(std::string_view component, std::span<const Migration> steps) {
  if (steps.empty()) return Status::ok();
  XR_ASSIGN_OR_RETURN(int current, schema_version(component));
  if (current >= steps.back().version) return Status::ok();  // the common case: one read
  for (const Migration& m : steps) {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    XR_ASSIGN_OR_RETURN(Transaction tx, begin());
    XR_ASSIGN_OR_RETURN(Rows rows, query("SELECT version FROM schema_versions WHERE component=$1",
                                         {component}));
    current = rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
    if (m.version <= current) continue;
    if (m.version != current + 1) {
      return Status(ErrorKind::kInternal, std::string(component) + " migration " +
                                              std::to_string(m.version) + " follows version " +
                                              std::to_string(current));
    }
    std::string_view text = dialect() == Dialect::kPostgres && !m.postgres.empty() ? m.postgres : m.sql;
    XR_RETURN_IF_ERROR(exec_script(text).with_context(std::string(component) + " migration " +
                                                      std::to_string(m.version)));
    XR_RETURN_IF_ERROR(exec("INSERT INTO schema_versions(component,version) VALUES($1,$2) "
                            "ON CONFLICT(component) DO UPDATE SET version=excluded.version",
                            {component, m.version}).status());
    XR_RETURN_IF_ERROR(tx.commit());
  }
  return Status::ok();
}

Result<Transaction> Db::begin() {
  XR_RETURN_IF_ERROR(begin_write());
  return Transaction(this);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->rollback_tx();
}

Status Transaction::commit() {
  if (db_ == nullptr) return Status(ErrorKind::kInternal, "transaction already finished");
  Db* db = db_;
  db_ = nullptr;
  Status s = db->commit_tx();
  if (!s.is_ok()) (void)db->rollback_tx();
  return s;
}

}  // namespace xr::store

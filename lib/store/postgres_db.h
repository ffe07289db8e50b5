// store::Db on PostgreSQL through libpq: the shared store of several xapi-rest nodes. One
// connection per thread (like SQLite's); calls block on the network and on other writers.
// Write transactions are serialised cluster-wide by one advisory lock, so that domain code
// keeps SQLite's BEGIN IMMEDIATE semantics (read-modify-write inside a transaction is safe);
// waiting for it, like any lock, is bounded by lock_timeout (kTimeout, as SQLite's busy).
#pragma once

#include <memory>
#include <string>

#include "store/db.h"

namespace xr::store {

// Connects to `conninfo` (a libpq connection string or postgresql:// URI); `password`, when
// not empty, overrides any given there (from storage.password_file). Creates the
// schema_versions table when missing.
Result<std::unique_ptr<Db>> open_postgres(const std::string& conninfo, const std::string& password = "",
                                          int lock_timeout_ms = 5000);

}  // namespace xr::store

// store::Db on PostgreSQL through libpq: the shared store of several xapi-rest nodes. One
// connection per thread (like SQLite's); calls block on the network and on other writers.
// Write transactions are serialised cluster-wide by one advisory lock, so that domain code
// keeps SQLite's BEGIN IMMEDIATE semantics (read-modify-write inside a transaction is safe);
// waiting for it, like any lock, is bounded by lock_timeout (kTimeout, as SQLite's busy).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/db.h"

namespace xr::store {

// Connects to `conninfo` (a libpq connection string or postgresql:// URI); `password`, when
// not empty, overrides any given there (from storage.password_file). Creates the
// schema_versions table when missing.
// `origin` names this node in the payload of its notifications ("<origin>|<payload>"), so
// that its own Listener can skip them.
Result<std::unique_ptr<Db>> open_postgres(const std::string& conninfo, const std::string& password = "",
                                          int lock_timeout_ms = 5000, const std::string& origin = "");

// LISTEN on channels: the cross-node wake-up of a store shared by several nodes. One thread
// owns it; wait() blocks up to timeout_ms (poll on the connection's socket, no polling loop).
class Listener {
 public:
  struct Note {
    std::string channel;
    std::string origin;   // the notifying node ("" when it gave none)
    std::string payload;
  };
  virtual ~Listener() = default;
  // Notifications that arrived (empty on timeout). A broken connection is re-opened and
  // re-LISTENed; the call then reports kUnavailable once (the caller should resynchronise:
  // notes may have been lost while it was down).
  virtual Result<std::vector<Note>> wait(int timeout_ms) = 0;
};

Result<std::unique_ptr<Listener>> open_listener(const std::string& conninfo, const std::string& password,
                                                const std::vector<std::string>& channels);

}  // namespace xr::store

// Node leases: every node sharing the store (PostgreSQL) writes a heartbeat; a node whose
// heartbeat is older than the lease is dead, and another node interrupts its running jobs.
// Component "nodes" of the store. One per thread on that thread's store::Db; blocks on it.
#pragma once

#include <memory>
#include <string_view>

#include "store/db.h"

namespace xr::tasks {

class NodeLeases {
 public:
  // Uses `db` (which must outlive it) and migrates the "nodes" component.
  static Result<std::unique_ptr<NodeLeases>> open(store::Db& db);
  // `node` is alive at now_ms (an upsert; no write lock: it serialises with nothing).
  Status heartbeat(std::string_view node, int64_t now_ms);
  // True when `node` has no heartbeat newer than now_ms - lease_ms (or none at all).
  Result<bool> expired(std::string_view node, int64_t now_ms, int64_t lease_ms);

 private:
  explicit NodeLeases(store::Db& db) : db_(db) {}
  store::Db& db_;
};

}  // namespace xr::tasks

#include "tasks/node_leases.h"

namespace xr::tasks {

namespace {

constexpr std::string_view kV1 =
    "CREATE TABLE nodes(name TEXT PRIMARY KEY, heartbeat_ms BIGINT NOT NULL)";
constexpr store::Migration kMigrations[] = {{1, kV1}};

}  // namespace

Result<std::unique_ptr<NodeLeases>> NodeLeases::open(store::Db& db) {
  XR_RETURN_IF_ERROR(db.migrate("nodes", kMigrations));
  return std::unique_ptr<NodeLeases>(new NodeLeases(db));
}

Status NodeLeases::heartbeat(std::string_view node, int64_t now_ms) {
  return db_.exec("INSERT INTO nodes(name,heartbeat_ms) VALUES($1,$2) "
                  "ON CONFLICT(name) DO UPDATE SET heartbeat_ms=excluded.heartbeat_ms",
                  {node, now_ms}).status();
}

Result<bool> NodeLeases::expired(std::string_view node, int64_t now_ms, int64_t lease_ms) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query("SELECT heartbeat_ms FROM nodes WHERE name=$1", {node}));
  return rows.empty() || rows[0].integer(0) < now_ms - lease_ms;
}

}  // namespace xr::tasks

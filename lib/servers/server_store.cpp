#include "servers/server_store.h"

namespace xr::servers {

namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE servers(
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  host TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL,
  password TEXT NOT NULL,
  allow_unauthorized INTEGER NOT NULL,
  read_only INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_at BIGINT NOT NULL);
)sql";

// The servers' revision: one counter bumped with every change, so that a node can tell
// whether the servers it runs with are the store's latest (another node changed them).
constexpr std::string_view kV2 = R"sql(
CREATE TABLE servers_revision(id INTEGER PRIMARY KEY, revision BIGINT NOT NULL);
INSERT INTO servers_revision(id, revision) VALUES(1, 0);
)sql";

constexpr store::Migration kMigrations[] = {{1, kV1}, {2, kV2}};

constexpr std::string_view kColumns =
    "id, label, host, username, password, allow_unauthorized, read_only, enabled, created_at";

StoredServer from_row(const store::Row& r) {
  return StoredServer{r.text(0),         r.text(1),         r.text(2),         r.text(3),      r.text(4),
                      r.integer(5) != 0, r.integer(6) != 0, r.integer(7) != 0, r.integer(8)};
}

Status conflict_named(Status st, const StoredServer& s) {
  if (st.kind() == ErrorKind::kConflict) return Status(ErrorKind::kConflict, "server " + s.host + " already exists");
  return st;
}

}  // namespace

Status ServerStore::changed(store::Db& db) {
  XR_RETURN_IF_ERROR(db.exec("UPDATE servers_revision SET revision=revision+1 WHERE id=1").status());
  // The other nodes' runners hear it at commit and make their master reload (PostgreSQL).
  return db.notify(kChangesChannel, "servers");
}

Result<int64_t> ServerStore::revision() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query("SELECT revision FROM servers_revision WHERE id=1"));
  return rows.empty() ? 0 : rows[0].integer(0);
}

Result<std::unique_ptr<ServerStore>> ServerStore::open(store::Db& db) {
  XR_RETURN_IF_ERROR(db.migrate("servers", kMigrations));
  return std::unique_ptr<ServerStore>(new ServerStore(db));
}

Result<std::vector<StoredServer>> ServerStore::list() {
  XR_ASSIGN_OR_RETURN(store::Rows rows,
                      db_.query("SELECT " + std::string(kColumns) + " FROM servers ORDER BY created_at, id"));
  std::vector<StoredServer> out;
  for (const store::Row& r : rows) out.push_back(from_row(r));
  return out;
}

Result<StoredServer> ServerStore::get(std::string_view id) {
  XR_ASSIGN_OR_RETURN(store::Rows rows,
                      db_.query("SELECT " + std::string(kColumns) + " FROM servers WHERE id=$1", {id}));
  if (rows.empty()) return Status(ErrorKind::kNotFound, "no such server " + std::string(id));
  return from_row(rows[0]);
}

Status ServerStore::add(const StoredServer& s) {
  return store::in_transaction(db_, [&](store::Db& db) {
    XR_RETURN_IF_ERROR(conflict_named(
        db.exec("INSERT INTO servers(" + std::string(kColumns) + ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                {s.id, s.label, s.host, s.username, s.password_sealed, s.allow_unauthorized ? 1 : 0,
                 s.read_only ? 1 : 0, s.enabled ? 1 : 0, s.created_at})
            .status(),
        s));
    return changed(db);
  });
}

Status ServerStore::update(const StoredServer& s) {
  return store::in_transaction(db_, [&](store::Db& db) {
    auto n = db.exec(
        "UPDATE servers SET label=$2, host=$3, username=$4, password=$5, allow_unauthorized=$6, read_only=$7, "
        "enabled=$8 WHERE id=$1",
        {s.id, s.label, s.host, s.username, s.password_sealed, s.allow_unauthorized ? 1 : 0, s.read_only ? 1 : 0,
         s.enabled ? 1 : 0});
    if (!n.is_ok()) return conflict_named(n.status(), s);
    if (*n == 0) return Status(ErrorKind::kNotFound, "no such server " + s.id);
    return changed(db);
  });
}

Status ServerStore::remove(std::string_view id) {
  return store::in_transaction(db_, [&](store::Db& db) {
    XR_ASSIGN_OR_RETURN(int64_t n, db.exec("DELETE FROM servers WHERE id=$1", {id}));
    if (n == 0) return Status(ErrorKind::kNotFound, "no such server " + std::string(id));
    return changed(db);
  });
}

std::string url_of(std::string_view host) {
  std::string url(host);
  if (url.find("://") == std::string::npos) url = "https://" + url;
  return url;
}

Status merge_stored_servers(store::Db& db, const SecretBox& box, config::Config* cfg,
                            std::vector<std::string>* warnings) {
  XR_ASSIGN_OR_RETURN(auto store, ServerStore::open(db));
  // Read before the list: a change in between costs one more reload, never a missed one.
  XR_ASSIGN_OR_RETURN(cfg->servers_revision, store->revision());
  XR_ASSIGN_OR_RETURN(std::vector<StoredServer> stored, store->list());
  for (const StoredServer& s : stored) {
    auto password = box.open_sealed(s.password_sealed);
    if (!password.is_ok()) {
      warnings->push_back("server " + s.label + " (" + s.id + ") left out: " + password.status().message());
      continue;
    }
    config::PoolConfig p;
    p.name = s.id;
    p.label = s.label;
    p.url = url_of(s.host);
    p.user = s.username;
    p.password = std::move(*password);
    p.tls = s.allow_unauthorized ? "insecure" : "verify";
    p.enabled = s.enabled;
    p.read_only = s.read_only;
    p.from_store = true;
    cfg->pools.push_back(std::move(p));
  }
  return Status::ok();
}

}  // namespace xr::servers

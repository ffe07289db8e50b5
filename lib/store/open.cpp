#include "store/open.h"

#include "store/postgres_db.h"
#include "store/sqlite_db.h"

namespace xr::store {

Result<std::unique_ptr<Db>> open(const config::Config& cfg) {
  if (cfg.storage_backend == "postgresql") {
    return open_postgres(cfg.storage_connection, cfg.storage_password, 5000, cfg.node_name());
  }
  return open_sqlite(cfg.database_path());
}

}  // namespace xr::store

#include "store/open.h"

#include "store/sqlite_db.h"

namespace xr::store {

Result<std::unique_ptr<Db>> open(const config::Config& cfg) {
  return open_sqlite(cfg.database_path());
}

}  // namespace xr::store

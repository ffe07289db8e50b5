// store::Db on SQLite (WAL, busy timeout, foreign keys on). One per thread; several
// processes may open the same file. Prepared statements are cached per connection.
#pragma once

#include <memory>
#include <string>

#include "store/db.h"

namespace xr::store {

// Opens (creating if needed) the database file `path`. `busy_timeout_ms` bounds how long
// a call waits for another writer before failing with kTimeout.
Result<std::unique_ptr<Db>> open_sqlite(const std::string& path, int busy_timeout_ms = 5000);

}  // namespace xr::store

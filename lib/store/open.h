// Opens the configured database: the one entry point every process and thread uses to get
// its own connection (worker threads, runner threads, CLI, other roles). Blocks on I/O.
#pragma once

#include <memory>

#include "config/config.h"
#include "store/db.h"

namespace xr::store {

// A new connection to the database of `cfg` (today SQLite at cfg.database_path()).
// The caller applies its component's migrations (each domain store does it on open).
Result<std::unique_ptr<Db>> open(const config::Config& cfg);

}  // namespace xr::store

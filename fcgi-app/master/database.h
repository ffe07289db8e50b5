// Prepares the durable database before any fork: creates storage.data_dir and applies every
// component's migrations, so that children only find schemas already current. Master only.
#pragma once

#include "base/status.h"
#include "config/config.h"

namespace xr::app {

Status prepare_database(const config::Config& cfg);

}  // namespace xr::app

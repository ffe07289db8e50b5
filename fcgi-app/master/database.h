// Prepares the durable database before any fork: creates storage.data_dir and applies every
// component's migrations, so that children only find schemas already current, and turns the
// XO tasks left pending by the previous run into interrupted ones. Master only (serve).
#pragma once

#include "base/status.h"
#include "config/config.h"

namespace xr::app {

Status prepare_database(const config::Config& cfg);
// Creates storage.data_dir (0700) unless it exists; the error names the errno and what to do.
// Also used by the CLI (user, token commands).
Status ensure_data_dir(const config::Config& cfg);
// Appends the servers added over REST (lib/servers, passwords opened with the secret key
// file) to cfg->pools: at start after prepare_database, and at every reload.
Status add_stored_servers(config::Config* cfg);

}  // namespace xr::app

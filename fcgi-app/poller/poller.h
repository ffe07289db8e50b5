// The poller role: one thread per configured pool running the XAPI event loop, mapping
// records to XO objects and writing them to the shared cache (its only writer). Runs in a
// forked child until SIGQUIT or SIGTERM; unreachable pools are retried with backoff.
#pragma once

#include "master/child_env.h"

namespace xr::app {

// Returns the process exit code.
int run_poller(const ChildEnv& env);

}  // namespace xr::app

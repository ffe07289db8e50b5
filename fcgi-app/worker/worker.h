// The worker role: M threads accepting FastCGI requests on the inherited listening
// socket (FCGX_Accept_r) and dispatching them to the route table. Runs in a forked
// child until SIGQUIT (graceful: finish in-flight requests, then exit) or SIGTERM (at once).
#pragma once

#include "master/child_env.h"

namespace xr::app {

// Returns the process exit code.
int run_worker(const ChildEnv& env);

}  // namespace xr::app

// The transfer role: one process on its own FastCGI socket (transfer.sock) serving the
// route table with [transfer] max_concurrent + 2 threads, so that long exports and
// imports (nginx sends the transfer locations there) never hold the workers' threads;
// the two extra threads answer the 503 of a transfer beyond the limit at once instead of
// leaving it in the socket's backlog. Forked by the master like the workers.
#pragma once

#include "master/child_env.h"

namespace xr::app {

int run_transfer(const ChildEnv& env);

}  // namespace xr::app

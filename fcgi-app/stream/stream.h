// The stream role: one process, one thread, epoll over its own FastCGI socket
// (stream.socket), holding thousands of long-lived requests (watch, server-sent events,
// long waits) that must not each pin one of the workers' request threads. It reads and
// writes FastCGI records itself (fcgi_wire.h). Supervised by the master like any role:
// SIGQUIT/SIGTERM end every open stream properly (a complete FastCGI response) and exit.
#pragma once

#include "master/child_env.h"

namespace xr::app {

// Returns the process exit code.
int run_stream(const ChildEnv& env);

}  // namespace xr::app

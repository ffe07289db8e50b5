// The worker role: M threads accepting FastCGI requests on the inherited listening
// socket (FCGX_Accept_r) and dispatching them to the route table. Runs in a forked
// child until SIGQUIT (graceful: finish in-flight requests, then exit) or SIGTERM (at once).
#pragma once

#include "master/child_env.h"

namespace xr::app {

// Returns the process exit code.
int run_worker(const ChildEnv& env);

// The request loop of run_worker with `threads` threads: for other roles that serve the
// route table on their own socket (the transfer role). `send_timeout_s` > 0: a write to nginx
// blocked that long fails and aborts the request (run_worker: kWorkerSendTimeoutS; nginx
// buffers every worker answer, so only a stuck nginx blocks); 0 = none (transfers: nginx
// streams those unbuffered at the client's pace).
inline constexpr int kWorkerSendTimeoutS = 60;
int serve_requests(const ChildEnv& env, int64_t thread_count, int send_timeout_s = 0);

}  // namespace xr::app

// The `runner` role: executes the actions queued as XO tasks (lib/tasks jobs). One process
// (exclusive in the role table); a dispatcher thread claims jobs when ControlBlock.jobs_queued
// moves and runs each on its own thread (at most kMaxJobs at once), as XAPI Async.* calls
// followed to completion with their progress. Jobs outlive the HTTP requests that queued
// them and worker restarts; when a runner dies, the next one turns the jobs it had running
// into `interrupted` tasks with the reason.
#pragma once

#include "master/child_env.h"

namespace xr::app {

inline constexpr int kMaxJobs = 64;

int run_runner(const ChildEnv& env);

}  // namespace xr::app

// Cross-node wake-ups for a store shared by several nodes (PostgreSQL): one thread of the
// runner LISTENs on the task channel and, for each change another node notifies, bumps this
// node's own ControlBlock futexes (tasks_changed; jobs_queued for a queued job). Everything
// that waits on tasks here (the stream role's task feed and waits, the runner) thus wakes
// for changes made through any node, with no polling loop. Started once per runner process.
#pragma once

#include "config/config.h"
#include "worker/task_signals.h"

namespace xr::app {

// Starts the listener thread (detached; lives as long as the process). No-op on SQLite.
void start_node_listener(const config::Config& cfg, TaskSignals* signals);

}  // namespace xr::app

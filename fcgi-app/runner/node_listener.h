// Cross-node wake-ups for a store shared by several nodes (PostgreSQL): one thread of the
// runner LISTENs on the task and server channels. For each task change another node
// notifies, it bumps this node's own ControlBlock futexes (tasks_changed; jobs_queued for a
// queued job), so everything that waits on tasks here (the stream role's task feed and
// waits, the runner) wakes for changes made through any node. For a server change (POST,
// PATCH, DELETE /servers, connect/disconnect through another node), and whenever it
// (re)connects, it compares the store's servers revision with the one this node's
// configuration was merged with and, when they differ, makes the master reload (SIGHUP):
// the poller then connects or drops the pool as on the node that took the request. No
// polling loop. Started once per runner process.
#pragma once

#include <atomic>

#include "config/config.h"
#include "worker/task_signals.h"

namespace xr::app {

// Starts the listener thread (detached; lives as long as the process). No-op on SQLite.
// `retiring` is the runner's draining flag: a runner of an earlier generation (after a
// reload) asks for no reload of its own. Both pointers outlive the process's threads.
void start_node_listener(const config::Config& cfg, TaskSignals* signals, const std::atomic<bool>* retiring);

}  // namespace xr::app

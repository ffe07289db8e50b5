#include "runner/node_listener.h"

#include <chrono>
#include <string>
#include <thread>

#include "base/log.h"
#include "store/postgres_db.h"
#include "tasks/task_store.h"

namespace xr::app {

namespace {

const log::Logger kLog("runner");

void listen_loop(config::Config cfg, TaskSignals* signals) {
  const std::string me = cfg.node_name();
  for (;;) {
    auto listener = store::open_listener(cfg.storage_connection, cfg.storage_password,
                                         {std::string(tasks::kChangesChannel)});
    if (!listener.is_ok()) {
      kLog.warn("task change listener: " + listener.status().to_string() + "; retrying in 1 s");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    // Whatever happened while not listening: everyone re-reads once.
    signals->tasks_changed();
    signals->job_queued();
    for (;;) {
      auto notes = (*listener)->wait(60'000);
      if (!notes.is_ok()) {
        kLog.warn("task change listener: " + notes.status().to_string());
        signals->tasks_changed();
        signals->job_queued();
        break;
      }
      bool changed = false, job = false;
      for (const auto& n : *notes) {
        if (n.origin == me) continue;  // this node's own change already bumped the futexes
        changed = true;
        job = job || n.payload == "job";
      }
      if (changed) signals->tasks_changed();
      if (job) signals->job_queued();
    }
  }
}

}  // namespace

void start_node_listener(const config::Config& cfg, TaskSignals* signals) {
  if (!cfg.shared_store()) return;
  std::thread(listen_loop, cfg, signals).detach();
}

}  // namespace xr::app

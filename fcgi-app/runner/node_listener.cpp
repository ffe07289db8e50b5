#include "runner/node_listener.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/log.h"
#include "servers/server_store.h"
#include "store/open.h"
#include "store/postgres_db.h"
#include "tasks/task_store.h"

namespace xr::app {

namespace {

const log::Logger kLog("runner");

// Makes the master reload once per store revision this node does not run with yet.
class ServersFollower {
 public:
  ServersFollower(const config::Config& cfg, const std::atomic<bool>* retiring)
      : cfg_(cfg), retiring_(retiring), asked_(cfg.servers_revision) {}

  void check() {
    if (retiring_->load()) return;
    auto revision = read_revision();
    if (!revision.is_ok()) {
      kLog.warn("servers revision: " + revision.status().to_string());
      db_.reset();  // reopened at the next check
      return;
    }
    if (asked_ < 0) {
      // The master could not merge the servers at all (logged there): a reload would fail
      // the same way, so only a later change asks for one.
      asked_ = *revision;
      return;
    }
    if (*revision == cfg_.servers_revision || *revision == asked_) return;
    asked_ = *revision;
    kLog.info("the servers changed through another node (revision " + std::to_string(*revision) +
              "): reloading");
    if (kill(getppid(), SIGHUP) != 0) kLog.error("cannot ask the master to reload for a server change");
  }

 private:
  Result<int64_t> read_revision() {
    if (!db_) {
      XR_ASSIGN_OR_RETURN(db_, store::open(cfg_));
    }
    XR_ASSIGN_OR_RETURN(auto servers, servers::ServerStore::open(*db_));
    return servers->revision();
  }

  const config::Config& cfg_;
  const std::atomic<bool>* retiring_;
  std::unique_ptr<store::Db> db_;
  int64_t asked_;
};

void listen_loop(config::Config cfg, TaskSignals* signals, const std::atomic<bool>* retiring) {
  const std::string me = cfg.node_name();
  ServersFollower servers(cfg, retiring);
  for (;;) {
    auto listener = store::open_listener(cfg.storage_connection, cfg.storage_password,
                                         {std::string(tasks::kChangesChannel), std::string(servers::kChangesChannel)});
    if (!listener.is_ok()) {
      kLog.warn("store change listener: " + listener.status().to_string() + "; retrying in 1 s");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    // Whatever happened while not listening (or since the master merged the servers):
    // everyone re-reads once.
    signals->tasks_changed();
    signals->job_queued();
    servers.check();
    for (;;) {
      auto notes = (*listener)->wait(60'000);
      if (!notes.is_ok()) {
        kLog.warn("store change listener: " + notes.status().to_string());
        signals->tasks_changed();
        signals->job_queued();
        servers.check();
        break;
      }
      bool changed = false, job = false, servers_changed = false;
      for (const auto& n : *notes) {
        if (n.origin == me) continue;  // this node's own change already bumped the futexes / reloaded
        if (n.channel == servers::kChangesChannel) {
          servers_changed = true;
          continue;
        }
        changed = true;
        job = job || n.payload == "job";
      }
      if (changed) signals->tasks_changed();
      if (job) signals->job_queued();
      if (servers_changed) servers.check();
    }
  }
}

}  // namespace

void start_node_listener(const config::Config& cfg, TaskSignals* signals, const std::atomic<bool>* retiring) {
  if (!cfg.shared_store()) return;
  std::thread(listen_loop, cfg, signals, retiring).detach();
}

}  // namespace xr::app

// One queued action run to its end on a runner job thread: the job JSON read, the action
// found in the catalogue, its executor run with an ActionRun on the pool's read-write XAPI
// session, the XO task finished with the result or the error (XAPI code and params kept).
// Blocks on XAPI and on the database.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cache/reader.h"
#include "config/config.h"
#include "store/db.h"
#include "tasks/task.h"
#include "tasks/task_store.h"
#include "xapi/session.h"

namespace xr::app {

// What the job threads of one runner share: XAPI sessions per pool, and the XAPI task each
// running job is waiting on (so that an abort can cancel it). Thread-safe.
class JobShared {
 public:
  JobShared(const config::Config& config, tasks::ChangeNotifier* notifier, const cache::Reader* cache)
      : config_(config), notifier_(notifier), cache_(cache) {}
  const config::Config& config() const { return config_; }
  // The shared object cache (null in tests): a new object is waited for there before its
  // task succeeds, so that its Location can be read at once.
  const cache::Reader* cache() const { return cache_; }
  tasks::ChangeNotifier* notifier() const { return notifier_; }
  // The session of configured pool `pool` (opened at first use); kNotFound for none.
  Result<xapi::Session*> session(const std::string& pool);

  // The XAPI task job `task_id` waits on (set while it waits, cleared after).
  void set_xapi_task(const std::string& task_id, const std::string& pool, const std::string& ref);
  void clear_xapi_task(const std::string& task_id);
  // Cancels the XAPI task of job `task_id`, once; true when a cancel was sent now or before.
  bool cancel(const std::string& task_id);
  bool cancelled(const std::string& task_id);

  // A database connection for a job thread (kept and reused: opening one costs a migration
  // check); given back when the job ends.
  Result<std::unique_ptr<store::Db>> take_db();
  void give_back_db(std::unique_ptr<store::Db> db);

 private:
  struct Waiting {
    std::string pool;
    std::string ref;
  };
  const config::Config& config_;
  tasks::ChangeNotifier* notifier_;
  const cache::Reader* cache_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<xapi::Session>> sessions_;
  std::map<std::string, Waiting> waiting_;
  std::set<std::string> cancelled_;
  std::vector<std::unique_ptr<store::Db>> dbs_;
};

// Runs job `task` (already claimed: job_state running) to its end. Never throws; every
// outcome is written to the task.
void run_job(JobShared& shared, const tasks::Task& task);

}  // namespace xr::app

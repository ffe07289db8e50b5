#include "master/database.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "auth/auth_store.h"
#include "idempotency/idempotency_store.h"
#include "servers/server_store.h"
#include "base/log.h"
#include "store/open.h"
#include "tasks/node_leases.h"
#include "tasks/task_store.h"

namespace xr::app {

Status ensure_data_dir(const config::Config& cfg) {
  if (mkdir(cfg.data_dir.c_str(), 0700) == 0) return Status::ok();
  if (errno == EEXIST) {
    // An existing folder (made by a script, an older version) is narrowed to 0700 too.
    struct stat st {};
    if (stat(cfg.data_dir.c_str(), &st) == 0 && (st.st_mode & 077) != 0 &&
        chmod(cfg.data_dir.c_str(), 0700) != 0) {
      return Status(ErrorKind::kIo, "storage.data_dir " + cfg.data_dir +
                                        " is open to other users and cannot be made 0700: " +
                                        std::strerror(errno));
    }
    return Status::ok();
  }
  const int err = errno;
  std::string hint = err == ENOENT ? "its parent directory must exist"
                     : err == EACCES ? "its parent must be writable by the user running xapi-rest"
                                     : "";
  return Status(ErrorKind::kIo, "cannot create storage.data_dir " + cfg.data_dir + ": " +
                                    std::strerror(err) + (hint.empty() ? "" : " (" + hint + ")") +
                                    "; create it first, e.g. install -d -m 0700 -o xapi-rest " +
                                    cfg.data_dir);
}

Status prepare_database(const config::Config& cfg) {
  XR_RETURN_IF_ERROR(ensure_data_dir(cfg));
  XR_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::open(cfg));
  // Every component with tables, in dependency order.
  XR_RETURN_IF_ERROR(auth::AuthStore::open(*db).status());
  XR_RETURN_IF_ERROR(idempotency::IdempotencyStore::open(*db).status());
  XR_RETURN_IF_ERROR(servers::ServerStore::open(*db).status());
  XR_RETURN_IF_ERROR(servers::SecretBox::open(cfg.secret_key_path(), true).status());
  XR_ASSIGN_OR_RETURN(auto tasks, tasks::TaskStore::open(*db, nullptr, cfg.tasks_gc_keep));
  XR_ASSIGN_OR_RETURN(auto leases, tasks::NodeLeases::open(*db));
  if (cfg.shared_store()) {
    // Other nodes keep running: only this node's running actions and job-less tasks died
    // with it (queued ones stay queued for any node's runner; another node's are judged by
    // its lease).
    XR_RETURN_IF_ERROR(leases->heartbeat(cfg.node_name(), tasks::now_ms()));
    return tasks->interrupt_jobs_of_node(cfg.node_name(),
                                         "interrupted: xapi-rest stopped while the action was running")
        .status();
  }
  // Nothing runs a task across a restart: what was pending when the service stopped is
  // interrupted now (as xo-server does at start). No process is forked yet, so no waiter.
  XR_RETURN_IF_ERROR(
      tasks->interrupt_pending("interrupted: xapi-rest stopped while the task was pending").status());
  return Status::ok();
}

Status add_stored_servers(config::Config* cfg) {
  XR_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::open(*cfg));
  XR_ASSIGN_OR_RETURN(servers::SecretBox box, servers::SecretBox::open(cfg->secret_key_path(), false));
  std::vector<std::string> warnings;
  XR_RETURN_IF_ERROR(servers::merge_stored_servers(*db, box, cfg, &warnings));
  for (const std::string& w : warnings) log::Logger("master").warn(w);
  return Status::ok();
}

}  // namespace xr::app

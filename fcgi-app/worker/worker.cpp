#include "worker/worker.h"

#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "base/log.h"
#include "cache/layout.h"
#include "master/shared_segment.h"
#include "routes/route_table.h"
#include "store/open.h"
#include "worker/cache_access.h"
#include "worker/credential_cache.h"
#include "worker/login_guard.h"
#include "worker/task_signals.h"
#include "transfer/transfer_sessions.h"
#include "worker/xapi_reads.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

void on_wakeup(int) {}  // only interrupts accept(); FCGX_ShutdownPending does the rest

struct Shared {
  const ChildEnv& env;
  CacheAccess cache;
  CredentialCache credentials;
  XapiReads xapi;
  TaskSignals signals;
  LoginGuard login;
  TransferSessions transfers;
  std::atomic<bool> stopping{false};
};

void handle_one(FCGX_Request& fcgi, Services& svc) {
  Request req(&fcgi);
  Response res(&fcgi, req.method() == "HEAD");
  dispatch(req, res, svc);
}

void serve_thread(Shared& shared, std::atomic<bool>& done) {
  auto db = store::open(shared.env.config);
  auto auth = db.is_ok() ? auth::AuthStore::open(**db) : Result<std::unique_ptr<auth::AuthStore>>(db.status());
  if (!auth.is_ok()) {
    // A worker that cannot authenticate must not hold requests: exit, the master restarts it.
    kLog.error("cannot open the database: " + auth.status().to_string());
    _exit(1);
  }
  auto tasks = tasks::TaskStore::open(**db, &shared.signals, shared.env.config.tasks_gc_keep);
  if (!tasks.is_ok()) {
    kLog.error("cannot open the task store: " + tasks.status().to_string());
    _exit(1);
  }
  Services svc{shared.env.config, **db, **auth, shared.credentials, &shared.cache};
  svc.xapi = &shared.xapi;
  svc.tasks = tasks->get();
  svc.task_signals = &shared.signals;
  svc.login = &shared.login;
  svc.transfers = &shared.transfers;
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, shared.env.listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
  while (!shared.stopping.load()) {
    if (FCGX_Accept_r(&fcgi) < 0) {
      if (shared.stopping.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // EINTR or a transient error
      continue;
    }
    handle_one(fcgi, svc);
    FCGX_Finish_r(&fcgi);
  }
  FCGX_Free(&fcgi, 1);
  done = true;
}

// Blocks SIGQUIT/SIGHUP/SIGTERM for the request threads; the main thread waits for them.
sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

void stop_threads(Shared& shared, std::vector<std::thread>& threads,
                  std::vector<std::unique_ptr<std::atomic<bool>>>& done) {
  shared.stopping = true;
  FCGX_ShutdownPending();
  for (;;) {
    bool all = true;
    for (size_t i = 0; i < threads.size(); ++i) {
      if (!*done[i]) {
        all = false;
        pthread_kill(threads[i].native_handle(), SIGUSR1);
      }
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
}

}  // namespace

int run_worker(const ChildEnv& env) { return serve_requests(env, env.config.threads); }

int serve_requests(const ChildEnv& env, int64_t thread_count) {
  struct sigaction sa {};
  sa.sa_handler = on_wakeup;  // no SA_RESTART: accept() returns EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto* control = cache::layout::control_block(env.segment->segment().base());
  Shared shared{env, CacheAccess(env.segment->segment(), env.config), {}, XapiReads(env.config),
                TaskSignals(control), LoginGuard(control->login_hash_slots, LoginGuard::kHashSlots),
                TransferSessions(env.config), {}};
  const auto n = static_cast<size_t>(thread_count);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<std::atomic<bool>>> done;
  for (size_t i = 0; i < n; ++i) {
    done.push_back(std::make_unique<std::atomic<bool>>(false));
    threads.emplace_back(serve_thread, std::ref(shared), std::ref(*done.back()));
  }
  kLog.info("serving with " + std::to_string(n) + " threads");
  int sig = 0;
  while (sig != SIGQUIT && sig != SIGTERM) sigwait(&set, &sig);
  if (sig == SIGTERM) _exit(0);  // immediate: in-flight requests are cut
  stop_threads(shared, threads, done);
  return 0;
}

}  // namespace xr::app

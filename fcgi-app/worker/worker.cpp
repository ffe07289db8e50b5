#include "worker/worker.h"

#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "base/log.h"
#include "cache/layout.h"
#include "idempotency/idempotency_store.h"
#include "master/shared_segment.h"
#include "routes/route_table.h"
#include "store/open.h"
#include "worker/cache_access.h"
#include "worker/credential_cache.h"
#include "worker/login_guard.h"
#include "worker/task_signals.h"
#include "transfer/transfer_sessions.h"
#include "worker/xapi_reads.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

void on_wakeup(int) {}  // only interrupts accept(); FCGX_ShutdownPending does the rest

struct Shared {
  const ChildEnv& env;
  CacheAccess cache;
  CredentialCache credentials;
  XapiReads xapi;
  XapiWrites writes;
  TaskSignals signals;
  LoginGuard login;
  TransferSessions transfers;
  std::atomic<bool> stopping{false};
  int send_timeout_s = 0;
};

// What the stopping thread knows of one request thread.
struct ThreadState {
  std::atomic<bool> done{false};
  // True from a request's acceptance to its end: such a thread is never signalled (libfcgi's
  // writes do not retry EINTR, so a signal would cut its response).
  std::atomic<bool> busy{false};
};

// Serves one request; false when it must be aborted (failed after its headers were sent).
bool handle_one(FCGX_Request& fcgi, Services& svc) {
  Request req(&fcgi);
  Response res(&fcgi, req.method() == "HEAD");
  dispatch(req, res, svc);
  return !res.aborted();
}

void serve_thread(Shared& shared, ThreadState& state) {
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
  auto idempotency = idempotency::IdempotencyStore::open(**db);
  if (!idempotency.is_ok()) {
    kLog.error("cannot open the idempotency keys: " + idempotency.status().to_string());
    _exit(1);
  }
  Services svc{shared.env.config, **db, **auth, shared.credentials, &shared.cache};
  svc.idempotency = idempotency->get();
  svc.xapi = &shared.xapi;
  svc.tasks = tasks->get();
  svc.task_signals = &shared.signals;
  svc.login = &shared.login;
  svc.transfers = &shared.transfers;
  svc.writes = &shared.writes;
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, shared.env.listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
  while (!shared.stopping.load()) {
    state.busy = false;
    if (FCGX_Accept_r(&fcgi) < 0) {
      if (shared.stopping.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // EINTR or a transient error
      continue;
    }
    state.busy = true;
    if (shared.send_timeout_s > 0) {
      timeval tv{shared.send_timeout_s, 0};
      setsockopt(fcgi.ipcFd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (handle_one(fcgi, svc)) {
      FCGX_Finish_r(&fcgi);
    } else {
      // No FCGI_END_REQUEST: nginx sees the upstream fail and never ends the client's
      // response cleanly (no last chunk), so a cut body cannot pass for a whole one.
      FCGX_Free(&fcgi, 1);
    }
  }
  state.busy = false;
  FCGX_Free(&fcgi, 1);
  state.done = true;
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

// True when a SIGTERM is pending (it is blocked in every thread): stop at once.
bool term_pending() {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  const timespec zero{0, 0};
  return sigtimedwait(&term, nullptr, &zero) == SIGTERM;
}

// Graceful stop: threads inside a request finish it (they are never signalled); idle ones
// are woken from accept() by SIGUSR1 until they leave. A SIGTERM meanwhile ends the process.
void stop_threads(Shared& shared, std::vector<std::thread>& threads,
                  std::vector<std::unique_ptr<ThreadState>>& states) {
  shared.stopping = true;
  FCGX_ShutdownPending();
  for (;;) {
    if (term_pending()) {
      kLog.info("SIGTERM during the stop: exiting now");
      _exit(0);
    }
    bool all = true;
    for (size_t i = 0; i < threads.size(); ++i) {
      if (!states[i]->done) {
        all = false;
        if (!states[i]->busy) pthread_kill(threads[i].native_handle(), SIGUSR1);
      }
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
}

}  // namespace

int run_worker(const ChildEnv& env) { return serve_requests(env, env.config.threads, kWorkerSendTimeoutS); }

int serve_requests(const ChildEnv& env, int64_t thread_count, int send_timeout_s) {
  struct sigaction sa {};
  sa.sa_handler = on_wakeup;  // no SA_RESTART: accept() returns EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto* control = cache::layout::control_block(env.segment->segment().base());
  Shared shared{env, CacheAccess(env.segment->segment(), env.config),
                CredentialCache(&control->credentials_gen), XapiReads(env.config), XapiWrites(env.config),
                TaskSignals(control), LoginGuard(control->login_hash_slots, LoginGuard::kHashSlots),
                TransferSessions(env.config), {}, send_timeout_s};
  const auto n = static_cast<size_t>(thread_count);
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<ThreadState>> states;
  for (size_t i = 0; i < n; ++i) {
    states.push_back(std::make_unique<ThreadState>());
    threads.emplace_back(serve_thread, std::ref(shared), std::ref(*states.back()));
  }
  kLog.info("serving with " + std::to_string(n) + " threads");
  int sig = 0;
  while (sig != SIGQUIT && sig != SIGTERM) sigwait(&set, &sig);
  if (sig == SIGTERM) _exit(0);  // immediate: in-flight requests are cut
  stop_threads(shared, threads, states);
  return 0;
}

}  // namespace xr::app

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
#include "idempotency/idempotency_store.h"
#include "master/shared_segment.h"
#include "routes/route_table.h"
#include "store/open.h"
#include "worker/acceptor.h"
#include "worker/cache_access.h"
#include "worker/credential_cache.h"
#include "worker/list_files.h"
#include "worker/login_guard.h"
#include "worker/rate_limiter.h"
#include "worker/task_signals.h"
#include "transfer/transfer_sessions.h"
#include "worker/xapi_reads.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

struct Shared {
  const ChildEnv& env;
  CacheAccess cache;
  CredentialCache credentials;
  XapiReads xapi;
  XapiWrites writes;
  TaskSignals signals;
  LoginGuard login;
  TransferSessions transfers;
  Acceptor acceptor;  // every accept() of this process (a thread serves only a whole head)
  ListFiles lists;
  std::atomic<bool> stopping{false};
};

// What the stopping thread knows of one request thread.
struct ThreadState {
  std::atomic<bool> done{false};
};

// What becomes of a request's connection once it is served.
enum class After {
  kAbort,  // failed after its headers were sent: cut, no FCGI_END_REQUEST
  kEnd,    // ended; kept for the next request if nginx asked it
  kClose,  // ended, and nginx will not reuse the connection (X-Accel-Redirect)
};

After handle_one(FCGX_Request& fcgi, Services& svc) {
  Request req(&fcgi);
  Response res(&fcgi, req.method() == "HEAD");
  dispatch(req, res, svc);
  if (res.aborted()) return After::kAbort;
  return res.redirected() ? After::kClose : After::kEnd;
}

// Reads what is left of the request's FCGI_STDIN (a body the route did not read, the empty
// closing record): the next request on a kept connection starts after it, and a connection
// closed with nothing unread ends as a plain EOF for nginx.
void skip_stdin(FCGX_Request& fcgi) {
  char buf[4096];
  while (FCGX_GetStr(buf, sizeof buf, fcgi.in) > 0) {
  }
}

// Serves the request on connection `fd` (whole head there), then keeps the connection for
// nginx's next request, closes it, or cuts it (an answer that failed midway).
void serve_connection(Acceptor& acceptor, FCGX_Request& fcgi, int fd, Services& svc) {
  take_connection(&fcgi, fd);
  if (FCGX_Accept_r(&fcgi) < 0) return;  // a head libfcgi refused: it closed the connection
  const After after = handle_one(fcgi, svc);
  if (after == After::kAbort) {
    // No FCGI_END_REQUEST: nginx sees the upstream fail and never ends the client's
    // response cleanly (no last chunk), so a cut body cannot pass for a whole one.
    FCGX_Free(&fcgi, 1);
    return;
  }
  const bool keep = fcgi.keepConnection && after == After::kEnd;
  skip_stdin(fcgi);
  // libfcgi writes the closing records and leaves the connection to us: its own close
  // would shut it down and then wait (poll, up to 2 s) for nginx to close first, holding
  // this thread until nginx runs. With the input read to its end, a plain close is clean.
  fcgi.keepConnection = 1;
  FCGX_Finish_r(&fcgi);
  if (fcgi.ipcFd >= 0) {
    if (keep) {
      // nginx keeps the connection (fastcgi_keep_conn + upstream keepalive): its next
      // request goes to whichever thread is idle.
      acceptor.keep(fcgi.ipcFd);
    } else {
      close(fcgi.ipcFd);
    }
    fcgi.ipcFd = -1;
  }
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
  if (shared.env.config.list_files_mb > 0) svc.list_files = &shared.lists;
  RateLimiter limiter(cache::layout::control_block(shared.env.segment->segment().base())->rate_slots,
                      cache::layout::kRateSlots);
  svc.rate_limiter = &limiter;
  FCGX_Request fcgi;
  FCGX_InitRequest(&fcgi, -1, 0);  // no listen socket: libfcgi never accepts (Acceptor does)
  bool accept_first = false;
  for (;;) {
    const int fd = shared.acceptor.next(accept_first);
    if (fd < 0) break;  // stopping, nothing left to serve
    serve_connection(shared.acceptor, fcgi, fd, svc);
  }
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

// Graceful stop: no new connection is accepted; threads inside a request finish it (they are
// never signalled: libfcgi's writes do not retry EINTR), idle ones leave once the accepted
// connections are served. A SIGTERM meanwhile ends the process.
void stop_threads(Shared& shared, std::vector<std::thread>& threads,
                  std::vector<std::unique_ptr<ThreadState>>& states) {
  shared.stopping = true;
  FCGX_ShutdownPending();
  shared.acceptor.stop();
  for (;;) {
    if (term_pending()) {
      kLog.info("SIGTERM during the stop: exiting now");
      _exit(0);
    }
    bool all = true;
    for (size_t i = 0; i < threads.size(); ++i) all = all && states[i]->done;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
}

}  // namespace

int run_worker(const ChildEnv& env) { return serve_requests(env, env.config.threads, kWorkerSendTimeoutS); }

int serve_requests(const ChildEnv& env, int64_t thread_count, int send_timeout_s) {
  signal(SIGPIPE, SIG_IGN);
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto* control = cache::layout::control_block(env.segment->segment().base());
  Shared shared{env, CacheAccess(env.segment->segment(), env.config),
                CredentialCache(&control->credentials_gen), XapiReads(env.config), XapiWrites(env.config),
                TaskSignals(control), LoginGuard(control->login_hash_slots, LoginGuard::kHashSlots),
                TransferSessions(env.config), Acceptor(env.listen_fd, send_timeout_s),
                ListFiles(env.config.list_dir_path(), static_cast<uint64_t>(env.config.list_files_mb) << 20,
                          env.config.socket_mode_bits()),
                {}};
  shared.acceptor.start();
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

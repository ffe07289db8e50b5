#include "runner/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "base/futex.h"
#include "base/log.h"
#include "base/process_identity.h"
#include "master/shared_segment.h"
#include "runner/job.h"
#include "runner/node_listener.h"
#include "store/open.h"
#include "tasks/node_leases.h"
#include "worker/task_signals.h"

namespace xr::app {

namespace {

const log::Logger kLog("runner");

constexpr int64_t kIdleWaitMs = 250;  // also the longest an abort waits to reach XAPI
constexpr auto kSweepEvery = std::chrono::seconds(5);

// "<pid>:<start time>": names a runner process even after its pid is reused.
std::string runner_id(pid_t pid) { return process_identity(pid); }

// On a shared store the node comes first: "<node>|<pid>:<start time>".
std::string runner_id(const config::Config& cfg, pid_t pid) {
  return cfg.shared_store() ? cfg.node_name() + "|" + runner_id(pid) : runner_id(pid);
}

bool local_runner_alive(const std::string& id) { return process_alive(id); }

// Jobs whose runner is gone (crashed, killed) become interrupted. A runner that drains
// after a reload is alive: its jobs go on. Another node's runners are judged by that node's
// lease: once it expired, all of that node's running jobs are interrupted at once.
void sweep_orphans(const config::Config& cfg, tasks::TaskStore& store, tasks::NodeLeases* leases) {
  auto owners = store.running_job_owners();
  if (!owners.is_ok()) return;
  const std::string me = cfg.node_name();
  for (const std::string& owner : *owners) {
    const size_t bar = owner.find('|');
    const std::string node = bar == std::string::npos ? "" : owner.substr(0, bar);
    if (node.empty() || node == me || leases == nullptr) {
      const std::string local = bar == std::string::npos ? owner : owner.substr(bar + 1);
      if (bar != std::string::npos && local.empty()) continue;  // this node's own job-less tasks
      if (local_runner_alive(local)) continue;
      auto n = store.interrupt_jobs_of(owner, "interrupted: the runner process stopped while the action was running");
      if (n.is_ok() && *n > 0) kLog.warn(std::to_string(*n) + " running action(s) of a dead runner interrupted");
      continue;
    }
    auto gone = leases->expired(node, tasks::now_ms(), cfg.cluster_lease * 1000);
    if (!gone.is_ok() || !*gone) continue;
    auto n = store.interrupt_jobs_of_node(node, "interrupted: node " + node + " stopped (its lease expired) while the action was running");
    if (n.is_ok() && *n > 0) kLog.warn(std::to_string(*n) + " running action(s) of dead node " + node + " interrupted");
  }
}

struct Dispatcher {
  explicit Dispatcher(const ChildEnv& e, cache::layout::ControlBlock* control)
      : env(e), signals(control), reader(e.segment->segment()), shared(e.config, &signals, &reader) {}
  const ChildEnv& env;
  TaskSignals signals;
  cache::Reader reader;
  JobShared shared;
  std::atomic<int> active{0};
  std::atomic<bool> draining{false};  // SIGQUIT: finish what runs, claim nothing new
};

void job_thread(Dispatcher& d, tasks::Task task) {
  run_job(d.shared, task);
  d.active.fetch_sub(1);
  // A slot is free: the dispatcher may claim the next queued job.
  futex_bump(&d.signals.control()->jobs_queued);
}

void claim_jobs(Dispatcher& d, tasks::TaskStore& store, const std::string& me) {
  while (d.active.load() < kMaxJobs) {
    auto job = store.claim_job(me);
    if (!job.is_ok()) {
      kLog.error("claiming a job: " + job.status().to_string());
      return;
    }
    if (!job->has_value()) return;
    d.active.fetch_add(1);
    std::thread(job_thread, std::ref(d), std::move(**job)).detach();
  }
}

void forward_aborts(Dispatcher& d, tasks::TaskStore& store) {
  auto ids = store.abort_requested_jobs();
  if (!ids.is_ok()) return;
  for (const std::string& id : *ids) d.shared.cancel(id);
}

sigset_t control_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

int run_runner(const ChildEnv& env) {
  sigset_t set = control_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto* control = cache::layout::control_block(env.segment->segment().base());
  Dispatcher d(env, control);
  auto db = store::open(env.config);
  if (!db.is_ok()) {
    kLog.error("cannot open the database: " + db.status().to_string());
    return 1;
  }
  auto store = tasks::TaskStore::open(**db, &d.signals, env.config.tasks_gc_keep);
  if (!store.is_ok()) {
    kLog.error("cannot open the task store: " + store.status().to_string());
    return 1;
  }
  // Several nodes on one store: a lease heartbeat, and other nodes' changes wake us.
  std::unique_ptr<tasks::NodeLeases> leases;
  if (env.config.shared_store()) {
    auto l = tasks::NodeLeases::open(**db);
    if (!l.is_ok()) {
      kLog.error("cannot open the node leases: " + l.status().to_string());
      return 1;
    }
    leases = std::move(l).value();
    (void)leases->heartbeat(env.config.node_name(), tasks::now_ms());
    start_node_listener(env.config, &d.signals, &d.draining);
  }
  // Sweeps and heartbeats: a third of the lease apart (at most kSweepEvery).
  const auto sweep_every = std::min<std::chrono::milliseconds>(
      kSweepEvery, std::chrono::milliseconds(env.config.cluster_lease * 1000 / 3));
  const std::string me = runner_id(env.config, getpid());
  sweep_orphans(env.config, **store, leases.get());  // what a runner that died had running
  auto next_sweep = std::chrono::steady_clock::now() + sweep_every;
  control->runner_pid.store(static_cast<uint32_t>(getpid()));
  kLog.info("running actions");
  for (;;) {
    timespec now{0, 0};
    const int sig = sigtimedwait(&set, nullptr, &now);
    if (sig == SIGTERM) _exit(0);
    if (sig == SIGQUIT) d.draining = true;
    const bool draining = d.draining;
    if (draining && d.active.load() == 0) break;
    const uint32_t seen = control->jobs_queued.load();
    if (!draining) claim_jobs(d, **store, me);
    forward_aborts(d, **store);
    if (std::chrono::steady_clock::now() >= next_sweep) {
      // A draining runner keeps the node's lease (its jobs still run) but sweeps nothing.
      if (leases) (void)leases->heartbeat(env.config.node_name(), tasks::now_ms());
      // e.g. a draining runner of the previous generation was killed, or another node died
      if (!draining) sweep_orphans(env.config, **store, leases.get());
      next_sweep = std::chrono::steady_clock::now() + sweep_every;
    }
    futex_wait(&control->jobs_queued, seen, kIdleWaitMs);
  }
  uint32_t mine = static_cast<uint32_t>(getpid());
  control->runner_pid.compare_exchange_strong(mine, 0);
  return 0;
}

}  // namespace xr::app

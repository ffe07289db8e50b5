#include "poller/pool_thread.h"
#include "poller/session_options.h"

#include <malloc.h>

#include <chrono>
#include <cmath>

#include "metrics/metrics.h"
#include "base/log.h"
#include "xapi/event_spool.h"
#include "xapi/session.h"
#include "xo/pool_model.h"

namespace xr::app {

namespace {

const log::Logger kLog("poller");

int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A login unanswered this long marks the pool stalled (reported disconnected, so that the
// API stops waiting for its first sync and serves the other pools), well before the login
// bound (xapi::SessionOptions::login_timeout_ms) ends the attempt.
constexpr int64_t kStallAfterMs = 5'000;
// An event.from unanswered this long after its own timeout: the stream is stale (a held
// call ends only at the RPC bound, 30 s after the timeout).
constexpr int64_t kLateEventMs = 5'000;


}  // namespace

bool PoolThread::owns_locked(std::string_view collection, std::string_view id) const {
  std::optional<xo::Resolved> r = model_.resolve(id);
  return r && r->id == id && xo::coll_name(r->coll) == collection;
}

PoolThread::PoolThread(const config::PoolConfig& pool, int index, const config::Config& config,
                       PollerShared& shared)
    : pool_(pool), index_(index), retry_max_s_(config.retry_max), event_timeout_s_(config.event_timeout),
      shared_(shared) {}

PoolThread::~PoolThread() {
  // The poller exits with _exit; these threads are never joined.
  if (thread_.joinable()) thread_.detach();
  if (probe_.joinable()) probe_.detach();
}

void PoolThread::inherit(const cache::PoolStatus& previous) {
  inherited_synced_ = previous.ever_synced;
  last_sync_ms_ = previous.last_sync_ms;
  fresh_ms_ = previous.fresh_ms;  // its objects stay as old as that until this process syncs
  pool_id_ = previous.pool_id;
}

void PoolThread::start() {
  {
    std::lock_guard lock(shared_.mu);
    report_locked(cache::layout::PoolState::kConnecting, "");
  }
  thread_ = std::thread([this] { run(); });
  probe_ = std::thread([this] { probe_loop(); });
}

void PoolThread::probe_loop() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (!disconnected_.load()) continue;
    xapi::SessionOptions options = session_options(pool_);
    options.endpoint.connect_timeout_ms = 2000;
    options.endpoint.rpc_timeout_ms = 5000;
    xapi::Session probe(options);
    if (!probe.login().is_ok()) continue;
    // Reachable is not connected: the event stream decides (check_health).
    if (xapi::EventLoop* loop = loop_.load(); loop != nullptr) loop->wake();
  }
}

void PoolThread::report_locked(cache::layout::PoolState state, const std::string& error) {
  cache::PoolStatus st;
  st.key = pool_.name;
  st.pool_id = pool_id_;
  st.state = state;
  st.ever_synced = synced_.load() || inherited_synced_;
  st.last_sync_ms = last_sync_ms_.load();
  st.updated_ms = unix_ms();
  st.last_error = error;
  st.event_gen = event_gen_.load();
  if (state == cache::layout::PoolState::kConnected) fresh_ms_ = st.updated_ms;
  st.fresh_ms = fresh_ms_.load();
  disconnected_ = state == cache::layout::PoolState::kDisconnected;
  Status s = shared_.writer.set_pool_status(st);
  if (!s.is_ok()) kLog.error("pool " + pool_.name + ": " + s.to_string());
}

std::string PoolThread::stall_description() const {
  const xapi::Session* session = session_.load();
  const xapi::EventLoop* loop = loop_.load();
  // Stalled: the first login is still waiting for an answer (a host answering errors
  // fails its attempts quickly and is reported by check_health as unreachable).
  if (session == nullptr || loop == nullptr || synced_.load() || session->generation() > 0 ||
      loop->failures() > 0) {
    return "";
  }
  const int64_t waited = steady_ms() - attempt_started_ms_.load();
  if (waited < kStallAfterMs) return "";
  return "no answer from " + pool_.url + " to session.login_with_password for " +
         std::to_string(waited / 1000) + " s (the connection was accepted; login bound " +
         std::to_string(session_options(pool_).login_timeout_ms / 1000) + " s, then retried)";
}

std::string PoolThread::stream_problem(const xapi::EventLoop& loop) const {
  const xapi::EventLoop::Health h = loop.health();
  if (h.waiting_since_ms != 0) {
    const int64_t waited = steady_ms() - h.waiting_since_ms;
    if (waited > loop.event_timeout_ms() + kLateEventMs) {
      return "event.from unanswered for " + std::to_string(waited / 1000) + " s (its timeout is " +
             std::to_string(loop.event_timeout_ms() / 1000) + " s)";
    }
  }
  if (!h.last_ok) {
    const std::string last = loop.last_error();
    return last.empty() ? "event.from failed" : "event.from failed: " + last;
  }
  return "";
}

void PoolThread::check_health() {
  xapi::EventLoop* loop = loop_.load();
  if (loop == nullptr) return;
  // A batch being applied holds the lock (seconds for a large pool's first dump): the stream
  // works; this loop must not wait, it also beats the poller's heartbeat.
  std::unique_lock lock(shared_.mu, std::try_to_lock);
  if (!lock.owns_lock()) return;
  const std::string stall = stall_description();
  if (!stall.empty() && !stall_logged_) {
    stall_logged_ = true;
    report_locked(cache::layout::PoolState::kDisconnected, stall);
    kLog.warn("pool " + pool_.name + " stalled: " + stall);
  }
  const uint64_t failures = loop->failures();
  if (failures != failures_seen_.exchange(failures)) {
    const std::string last = loop->last_error();
    const std::string what = !stall.empty() ? stall : last.empty() ? "pool unreachable" : "pool unreachable: " + last;
    if (const int64_t answered = loop->health().answered_unix_ms; answered != 0) fresh_ms_ = answered;
    report_locked(cache::layout::PoolState::kDisconnected,
                  what + "; retrying (" + std::to_string(failures) + " failures)");
    kLog.warn("pool " + pool_.name + ": " + what + "; retrying");
    return;
  }
  if (!synced_.load()) return;  // the first sync reports itself
  const std::string problem = stream_problem(*loop);
  if (problem.empty() && disconnected_.load()) {
    report_locked(cache::layout::PoolState::kConnected, "");
    kLog.info("pool " + pool_.name + ": event stream healthy again");
  } else if (!problem.empty() && !disconnected_.load()) {
    if (const int64_t answered = loop->health().answered_unix_ms; answered != 0) fresh_ms_ = answered;
    report_locked(cache::layout::PoolState::kDisconnected, problem);
    kLog.warn("pool " + pool_.name + ": " + problem + "; its objects are served as they were");
  }
}

void PoolThread::run() {
  auto consume = [&](xapi::EventBatch&& incoming) {
    bool full = false;
    {
      xapi::EventBatch batch = std::move(incoming);  // freed before the trim below
      const auto received = std::chrono::steady_clock::now();
      const int64_t session_ms = steady_ms() - attempt_started_ms_.load();  // login and dump
      std::lock_guard lock(shared_.mu);
      const size_t spooled_bytes = batch.spool ? batch.spool->bytes() : 0;  // the model frees it as it goes
      model_.apply(batch, shared_.writer);
      metrics::record_event_batch(index_, batch.full_resync, std::chrono::steady_clock::now() - received);
      pool_id_ = model_.pool_uuid();
      last_sync_ms_ = unix_ms();
      event_gen_ = xapi::token_generation(batch.token);  // published by report_locked below
      full = batch.full_resync;
      if (full) {
        if (!synced_.exchange(true)) ++shared_.synced_pools;
        const auto applied_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - received).count();
        const xo::PoolModel::Phases& ph = model_.last_phases();
        const std::string phases = "; create " + std::to_string(std::lround(ph.create_ms)) + ", index " +
                                   std::to_string(std::lround(ph.index_ms)) + ", emit " +
                                   std::to_string(std::lround(ph.emit_ms)) + " ms on " +
                                   std::to_string(ph.emit_threads) + (ph.emit_threads == 1 ? " thread" : " threads");
        const std::string spooled =
            batch.spool ? ", dump spooled in " + std::to_string(spooled_bytes >> 20) + " MiB, " +
                              std::to_string(batch.spool->blocks_packed()) + " blocks compressed, " +
                              std::to_string(batch.spool->blocks_unpacked()) + " decompressed"
                        : "";
        kLog.info("pool " + pool_.name + ": synchronised " + std::to_string(model_.object_count()) +
                  " XAPI objects (applied in " + std::to_string(applied_ms) + " ms" + spooled + phases +
                  "; received " + std::to_string(session_ms) + " ms after the session began)");
      }
      report_locked(cache::layout::PoolState::kConnected, "");
    }
    // A full dump is the poller's peak (its spool, its decoded records): give it back.
    if (full) {
      malloc_trim(0);
      const struct mallinfo2 heap = mallinfo2();
      kLog.info("pool " + pool_.name + ": heap after the sync " + std::to_string((heap.uordblks + heap.hblkhd) >> 20) +
                " MiB in use");
    }
  };
  for (;;) {
    xapi::Session session(session_options(pool_));
    xapi::EventLoopOptions options;
    options.max_backoff_ms = retry_max_s_ * 1000;
    options.event_timeout_s = static_cast<double>(event_timeout_s_) + 0.1;  // a <double>, as XO sends
    options.spool_full_resync = true;  // a dump is kept compact until its last object arrived
    xapi::EventLoop loop(session, options, consume);
    attempt_started_ms_ = steady_ms();
    session_ = &session;
    loop_ = &loop;
    Status s = loop.run();
    loop_ = nullptr;
    session_ = nullptr;
    {
      std::lock_guard lock(shared_.mu);
      report_locked(cache::layout::PoolState::kDisconnected, s.to_string());
    }
    kLog.error("pool " + pool_.name + ": " + s.to_string() + "; retrying in " +
               std::to_string(retry_max_s_) + " s");
    std::this_thread::sleep_for(std::chrono::seconds(retry_max_s_));
  }
}

}  // namespace xr::app

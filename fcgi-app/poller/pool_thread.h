// One configured pool inside the poller: a thread that logs in, runs the XAPI event loop
// and applies each batch to the pool's XO model, which writes into the shared cache
// through the poller's single Writer (under the poller's mutex). Reconnects with backoff.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <string_view>

#include "cache/writer.h"
#include "config/config.h"
#include "xapi/event_loop.h"
#include "xo/pool_model.h"

namespace xr::app {

// State shared by the pool threads of one poller: the cache writer (which objects each
// pool emitted is asked of the pools' models, see PoolThread::owns_locked).
struct PollerShared {
  cache::Writer& writer;
  std::mutex mu;  // guards writer and every pool's model
  std::atomic<int> synced_pools{0};
};

class PoolThread {
 public:
  PoolThread(const config::PoolConfig& pool, int index, const config::Config& config, PollerShared& shared);
  ~PoolThread();
  // Takes over what a previous poller process reported for this pool (it keeps counting
  // as synchronised while this process resynchronises). Call before start().
  void inherit(const cache::PoolStatus& previous);
  void start();
  // True once a full sync completed in this process.
  bool synced() const { return synced_.load(); }
  // Called about once a second by the poller: notices failures and reports the pool state:
  // connected only while its event stream is healthy (stream_healthy). Never waits for a
  // batch being applied (it looks again a second later).
  void check_health();
  // Whether this pool's model currently serves `id` in `collection`. REQUIRES: shared mu held.
  bool owns_locked(std::string_view collection, std::string_view id) const;

 private:
  void run();
  // While the pool is reported disconnected: a separate short session checks every second
  // whether the master answers again, and then ends the event loop's backoff (its next
  // event.from polls at once and makes the pool connected again).
  void probe_loop();
  // The latest event.from answered, and the one waiting now was sent less than its timeout
  // plus kLateEventMs ago. Empty when healthy, else why not.
  std::string stream_problem(const xapi::EventLoop& loop) const;
  // REQUIRES: shared_.mu held.
  void report_locked(cache::layout::PoolState state, const std::string& error);
  // Before the first sync, a master that accepted the connection but has not answered the
  // login: what the pool waits for, for the log and /servers (empty when it is not stalled).
  std::string stall_description() const;

  const config::PoolConfig& pool_;
  int index_;  // position in the config (the metrics' pool index)
  int64_t retry_max_s_;
  int64_t event_timeout_s_;  // [poller] event_timeout
  PollerShared& shared_;
  std::thread thread_;
  std::thread probe_;
  std::atomic<bool> disconnected_{false};
  std::atomic<bool> synced_{false};
  std::atomic<int64_t> last_sync_ms_{0};
  // unix ms up to which the pool's objects are known current (PoolStatus::fresh_ms): the
  // latest report of "connected", or event.from's latest answer once the stream is not healthy.
  std::atomic<int64_t> fresh_ms_{0};
  std::atomic<uint64_t> event_gen_{0};  // token generation of the last batch applied
  std::atomic<uint64_t> failures_seen_{0};
  std::atomic<xapi::EventLoop*> loop_{nullptr};
  std::atomic<xapi::Session*> session_{nullptr};
  std::atomic<int64_t> attempt_started_ms_{0};  // this session's creation (steady clock)
  bool stall_logged_ = false;                    // poller main thread only
  xo::PoolModel model_;  // guarded by shared_.mu
  std::string pool_id_;  // guarded by shared_.mu
  bool inherited_synced_ = false;
};

}  // namespace xr::app

#include "poller/poller.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

#include "base/log.h"
#include "cache/reader.h"
#include "master/shared_segment.h"
#include "poller/pool_thread.h"

namespace xr::app {

namespace {

const log::Logger kLog("poller");

int64_t unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Objects no pool of this process emitted were left by a previous poller (it crashed or
// the config changed): once every pool has synchronised, they are stale.
void sweep_unowned(PollerShared& shared, const cache::Segment& segment,
                   const std::vector<std::unique_ptr<PoolThread>>& pools) {
  std::lock_guard lock(shared.mu);
  cache::Reader reader(segment);
  size_t removed = 0;
  shared.writer.begin_batch();
  for (const std::string& coll : reader.collections()) {
    removed += shared.writer.erase_unless(coll, [&](std::string_view id) {
      for (const auto& p : pools) {
        if (p->owns_locked(coll, id)) return true;
      }
      return false;
    });
  }
  shared.writer.end_batch();
  if (removed > 0) kLog.info("removed " + std::to_string(removed) + " stale objects");
}

}  // namespace

int run_poller(const ChildEnv& env) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const cache::Segment& segment = env.segment->segment();
  cache::Writer writer(segment);
  PollerShared shared{writer, {}, {}};
  const auto previous = cache::Reader(segment).pool_statuses();  // a restarted poller's
  std::vector<std::unique_ptr<PoolThread>> pools;
  for (size_t i = 0; i < env.config.pools.size(); ++i) {
    if (!env.config.pools[i].enabled) continue;  // a server disconnected over REST
    pools.push_back(std::make_unique<PoolThread>(env.config.pools[i], static_cast<int>(i), env.config, shared));
    for (const auto& st : previous) {
      if (st.key == env.config.pools[i].name) pools.back()->inherit(st);
    }
    pools.back()->start();
  }
  if (pools.empty()) kLog.warn("no [[pool]] configured: the cache stays empty");
  bool swept = false;
  std::atomic<int64_t>& heartbeat = cache::layout::control_block(segment.base())->poller_heartbeat_ms;
  for (;;) {
    heartbeat.store(unix_ms(), std::memory_order_release);  // this loop never waits for a batch
    timespec one_second{1, 0};
    int sig = sigtimedwait(&set, nullptr, &one_second);
    if (sig == SIGQUIT || sig == SIGTERM) break;
    for (auto& p : pools) p->check_health();
    if (!swept && !pools.empty() && shared.synced_pools.load() == static_cast<int>(pools.size())) {
      sweep_unowned(shared, segment, pools);
      swept = true;
    }
  }
  // Never in the middle of a cache batch: take the writer's lock, then leave at once
  // (pool threads may be blocked in a long poll that nobody needs to finish).
  shared.mu.lock();
  _exit(0);
}

}  // namespace xr::app

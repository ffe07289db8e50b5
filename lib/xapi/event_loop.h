// EventLoop: keeps a consumer in step with a pool through event.from (reference §4.4).
// Starts with an empty-token dump delivered as a full resync, then long-polls with the
// returned token; keeps the token across network failures; after a re-login (expired
// session, restarted server) or a lost/invalid token it resyncs fully. Backoff with
// jitter on repeated failures. run() blocks the calling thread; stop() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "xapi/event.h"
#include "xapi/session.h"

namespace xr::xapi {

struct EventLoopOptions {
  std::vector<std::string> classes = {"*"};
  double event_timeout_s = 60.1;  // non-integer so XML-RPC sends a <double>, as XO does
  long min_backoff_ms = 200;
  long max_backoff_ms = 30'000;
  DecodeLimits limits;
  // Full resyncs arrive in EventBatch::spool (compact, encoded as the dump streams in)
  // rather than as decoded Values in EventBatch::events: a large pool's dump then costs a
  // fraction of its decoded size (the poller's first sync).
  bool spool_full_resync = false;
};

class EventLoop {
 public:
  // Called on the run() thread for every non-empty batch and every full resync.
  using Consumer = std::function<void(EventBatch&& batch)>;

  EventLoop(Session& session, EventLoopOptions options, Consumer consumer);

  // Loops until stop(); returns OK when stopped. A wrong password (login refused) is
  // returned as its error instead of being retried forever.
  Status run();
  void stop();

  // Statistics for tests and logs (any thread).
  uint64_t resyncs() const { return resyncs_.load(); }
  uint64_t failures() const { return failures_.load(); }
  // The error of the latest failure ("" before any), to say why the pool is unreachable.
  std::string last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
  }

  // Whether the stream is healthy (any thread): the latest event.from answered, and the one
  // now waiting was sent less than `allowed_ms` after its own timeout ago.
  struct Health {
    bool last_ok = false;          // the latest finished event.from succeeded
    int64_t waiting_since_ms = 0;  // steady ms at which the call in flight was sent, 0: none
    int64_t answered_unix_ms = 0;  // unix ms of the latest successful answer (0: none yet):
                                   // the consumer knows every change up to then
  };
  Health health() const { return {last_ok_.load(), waiting_since_ms_.load(), answered_unix_ms_.load()}; }
  // event.from's own wait (EventLoopOptions::event_timeout_s) in ms.
  int64_t event_timeout_ms() const { return static_cast<int64_t>(options_.event_timeout_s * 1000); }
  // Ends a backoff wait now (the pool answers again): the next call polls at once.
  void wake();

 private:
  // `poll`: timeout 0, so that a stream that failed shows at once whether it works again.
  Status fetch(bool full, bool poll);
  void backoff(long* delay_ms);
  Value class_list() const;

  Session& session_;
  EventLoopOptions options_;
  Consumer consumer_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> woken_{false};
  std::atomic<bool> last_ok_{false};
  std::atomic<int64_t> waiting_since_ms_{0};
  std::atomic<int64_t> answered_unix_ms_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string last_error_;  // guarded by mu_
  std::string token_;
  uint64_t generation_ = 0;
  std::atomic<uint64_t> resyncs_{0};
  std::atomic<uint64_t> failures_{0};
};

// Converts one event struct from event.from into an Event (moves the snapshot out).
Result<Event> event_from_value(Value&& v);

}  // namespace xr::xapi

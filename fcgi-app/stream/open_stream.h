// A long-lived response held by the stream role: the response head is sent, the request
// stays open, and the loop feeds it (changes of the cache, timers) until the client goes,
// the stream ends, or the role stops. Stream thread only.
#pragma once

#include <string>
#include <string_view>

namespace xr::app {

class OpenStream {
 public:
  virtual ~OpenStream() = default;
  // Body bytes sent just before the response ends because of `reason` (the role stops,
  // the client is too slow); "" for none.
  virtual std::string closing_text(std::string_view reason) {
    (void)reason;
    return {};
  }
  // Called once the response head is out: what the stream sends first (a replay).
  virtual void started() {}
  // The same when the role stops.
  virtual std::string stop_text(std::string_view reason) { return closing_text(reason); }
  // True when a graceful stop (SIGQUIT: a reload or a stop of the service) lets this
  // response end on its own until the stop deadline rather than ending it at once: a wait
  // whose task a (draining) runner is finishing. stop_text answers it at the deadline.
  virtual bool held_through_stop() const { return false; }
};

}  // namespace xr::app

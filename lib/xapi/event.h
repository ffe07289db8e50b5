// One batch of XAPI events as the event loop (lib/xapi) delivers it to its consumer
// (the poller's XO model). Plain data; the consumer owns the batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xapi/value.h"

namespace xr::xapi {

struct Event {
  std::string cls;        // XAPI class, lower-case as event.from sends it: "vm", "vm_metrics", "sr"
  std::string operation;  // "add", "mod" or "del"
  std::string ref;        // OpaqueRef:...
  Value snapshot;         // the full record for add/mod; nil for del
};

class EventSpool;  // xapi/event_spool.h

struct EventBatch {
  // True when this batch is a complete dump of the pool (first connection, re-login after
  // SESSION_INVALID, restarted server): every live object is in it as "add", and any
  // object the consumer knew that is not in it no longer exists.
  bool full_resync = false;
  std::vector<Event> events;
  // A full resync streamed by an EventLoop with EventLoopOptions::spool_full_resync: its
  // events are here, in wire order, instead of in `events` (which is then empty).
  std::shared_ptr<EventSpool> spool;
  std::string token;  // event.from's token after this batch ("<generation>,<message gen>")
};

// The object generation of an event token (XAPI writes "%020Ld,%020Ld": the database
// generation, then the message journal's), as event.inject also returns; 0 when the token
// has no leading number.
inline uint64_t token_generation(std::string_view token) {
  uint64_t g = 0;
  for (char c : token) {
    if (c < '0' || c > '9') break;
    g = g * 10 + static_cast<uint64_t>(c - '0');
  }
  return g;
}

}  // namespace xr::xapi

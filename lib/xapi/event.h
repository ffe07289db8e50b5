// One batch of XAPI events as the event loop (lib/xapi) delivers it to its consumer
// (the poller's XO model). Plain data; the consumer owns the batch.
#pragma once

#include <string>
#include <vector>

#include "xapi/value.h"

namespace xr::xapi {

struct Event {
  std::string cls;        // XAPI class, lower-case as event.from sends it: "vm", "vm_metrics", "sr"
  std::string operation;  // "add", "mod" or "del"
  std::string ref;        // OpaqueRef:...
  Value snapshot;         // the full record for add/mod; nil for del
};

struct EventBatch {
  // True when this batch is a complete dump of the pool (first connection, re-login after
  // SESSION_INVALID, restarted server): every live object is in it as "add", and any
  // object the consumer knew that is not in it no longer exists.
  bool full_resync = false;
  std::vector<Event> events;
};

}  // namespace xr::xapi

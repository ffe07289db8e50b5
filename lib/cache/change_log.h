// The change log ring of the cache segment (layout.h): the writer (poller) appends one entry
// per upsert/remove and wakes waiters per batch; readers (workers, e.g. a future `watch`)
// tail it by sequence number. Appending never blocks; wait_for_change blocks (futex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/layout.h"

namespace xr::cache {

struct Change {
  uint64_t seq = 0;
  uint16_t collection = 0;  // collection index (Reader::collection_name)
  layout::ChangeOp op = layout::ChangeOp::kUpdate;
  std::string id;
};

// Writer side. REQUIRES id.size() <= layout::kMaxIdBytes. Returns the new sequence number.
uint64_t append_change(layout::SegmentHeader* header, layout::ChangeEntry* ring, uint16_t collection,
                       layout::ChangeOp op, std::string_view id);
// Writer side: publishes the futex word and wakes every waiter (all processes).
void publish_changes(layout::SegmentHeader* header);

// Reader side: appends changes with seq > after (at most max) to out. kResourceExhausted
// ("fell behind") when some of them were already overwritten: the caller must resync.
Status read_changes(const layout::SegmentHeader* header, const layout::ChangeEntry* ring,
                    uint64_t after, std::size_t max, std::vector<Change>* out);
// Blocks until the futex word differs from `seen` or timeout_ms passes (spurious wake-ups
// possible). Returns the current word.
uint32_t wait_for_change(const layout::SegmentHeader* header, uint32_t seen, int timeout_ms);

}  // namespace xr::cache

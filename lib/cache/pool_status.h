// Per-pool connection status kept in the cache segment: written by the poller (the cache
// writer), read by workers for /servers and for marking objects of an unreachable pool.
// Seqlock slots: writing never blocks, reading retries a bounded number of times.
#pragma once

#include <cstdint>
#include <string>

#include "cache/layout.h"

namespace xr::cache {

struct PoolStatus {
  std::string key;       // the configured server's identity (address or label), <= 64 bytes
  std::string pool_id;   // XO id of the pool once known, <= 64 bytes
  layout::PoolState state = layout::PoolState::kConnecting;
  bool ever_synced = false;
  int64_t last_sync_ms = 0;  // unix ms of the last complete sync, 0 = never
  int64_t updated_ms = 0;    // unix ms of this status
  std::string last_error;    // empty when none; truncated to 256 bytes
  uint64_t event_gen = 0;    // XAPI event generation of the last batch in the cache (layout.h)
  // unix ms up to which the pool's objects are known current: the last moment its event
  // stream was healthy (Reader::pool_statuses gives "now" for a connected pool).
  int64_t fresh_ms = 0;
};

// Writer side: stores `status` into `slot` (seqlock write). Longer strings are truncated.
void write_pool_slot(layout::PoolStatusSlot* slot, const PoolStatus& status);
// Reader side: false if the slot is unused or kept changing under the reader.
bool read_pool_slot(const layout::PoolStatusSlot* slot, PoolStatus* out);

}  // namespace xr::cache

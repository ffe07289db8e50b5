#include "cache/pool_status.h"

#include <algorithm>
#include <cstring>

namespace xr::cache {
namespace L = layout;

namespace {
uint32_t put(char* dst, std::size_t cap, const std::string& s) {
  std::size_t n = std::min(cap, s.size());
  std::memcpy(dst, s.data(), n);
  return static_cast<uint32_t>(n);
}
}  // namespace

void write_pool_slot(L::PoolStatusSlot* slot, const PoolStatus& s) {
  uint32_t seq = slot->seq.load(std::memory_order_relaxed);
  slot->seq.store(seq + 1, std::memory_order_relaxed);  // odd: being written
  std::atomic_thread_fence(std::memory_order_release);
  slot->state = static_cast<uint32_t>(s.state);
  slot->key_len = put(slot->key, sizeof(slot->key), s.key);
  slot->pool_id_len = put(slot->pool_id, sizeof(slot->pool_id), s.pool_id);
  slot->error_len = put(slot->last_error, sizeof(slot->last_error), s.last_error);
  slot->ever_synced = s.ever_synced ? 1 : 0;
  slot->last_sync_ms = s.last_sync_ms;
  slot->updated_ms = s.updated_ms;
  slot->event_gen = s.event_gen;
  slot->fresh_ms = s.fresh_ms;
  slot->seq.store(seq + 2, std::memory_order_release);
}

bool read_pool_slot(const L::PoolStatusSlot* slot, PoolStatus* out) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    uint32_t seq = slot->seq.load(std::memory_order_acquire);
    if (seq % 2 != 0) continue;
    // Most of the kMaxPools slots are unused: their state alone is read (checked as the copy
    // is), not the whole slot (every request reads the pool statuses, twice for an object).
    if (__atomic_load_n(&slot->state, __ATOMIC_RELAXED) == static_cast<uint32_t>(L::PoolState::kUnused)) {
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot->seq.load(std::memory_order_relaxed) != seq) continue;
      return false;
    }
    L::PoolStatusSlot copy;
    std::memcpy(static_cast<void*>(&copy), static_cast<const void*>(slot), sizeof(copy));
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot->seq.load(std::memory_order_relaxed) != seq) continue;
    if (copy.state == static_cast<uint32_t>(L::PoolState::kUnused)) return false;
    out->state = static_cast<L::PoolState>(copy.state);
    out->key.assign(copy.key, std::min<std::size_t>(copy.key_len, sizeof(copy.key)));
    out->pool_id.assign(copy.pool_id, std::min<std::size_t>(copy.pool_id_len, sizeof(copy.pool_id)));
    out->last_error.assign(copy.last_error,
                           std::min<std::size_t>(copy.error_len, sizeof(copy.last_error)));
    out->ever_synced = copy.ever_synced != 0;
    out->last_sync_ms = copy.last_sync_ms;
    out->updated_ms = copy.updated_ms;
    out->event_gen = copy.event_gen;
    out->fresh_ms = copy.fresh_ms;
    return true;
  }
  return false;
}

}  // namespace xr::cache

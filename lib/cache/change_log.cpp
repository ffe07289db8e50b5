#include "cache/change_log.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <ctime>

namespace xr::cache {
namespace L = layout;

uint64_t append_change(L::SegmentHeader* h, L::ChangeEntry* ring, uint16_t collection,
                       L::ChangeOp op, std::string_view id) {
  uint64_t seq = h->last_change_seq.load(std::memory_order_relaxed) + 1;
  L::ChangeEntry& e = ring[seq % h->log_capacity];
  e.seq.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  e.collection = collection;
  e.op = static_cast<uint8_t>(op);
  e.id_len = static_cast<uint8_t>(std::min<std::size_t>(id.size(), L::kMaxIdBytes));
  std::memcpy(e.id, id.data(), e.id_len);
  e.seq.store(seq, std::memory_order_release);
  h->last_change_seq.store(seq, std::memory_order_release);
  return seq;
}

void publish_changes(L::SegmentHeader* h) {
  auto word = static_cast<uint32_t>(h->last_change_seq.load(std::memory_order_relaxed));
  if (h->change_futex.load(std::memory_order_relaxed) == word) return;
  h->change_futex.store(word, std::memory_order_release);
  // Shared (not private) futex: waiters live in other processes.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&h->change_futex), FUTEX_WAKE, INT_MAX, nullptr,
          nullptr, 0);
}

Status read_changes(const L::SegmentHeader* h, const L::ChangeEntry* ring, uint64_t after,
                    std::size_t max, std::vector<Change>* out) {
  uint64_t last = h->last_change_seq.load(std::memory_order_acquire);
  uint64_t cap = h->log_capacity;
  auto fell_behind = [&] {
    return Status(ErrorKind::kResourceExhausted,
                  "change log: reader fell behind at seq " + std::to_string(after));
  };
  if (last > cap && after < last - cap) return fell_behind();
  for (uint64_t s = after + 1; s <= last && out->size() < max; ++s) {
    const L::ChangeEntry& e = ring[s % cap];
    if (e.seq.load(std::memory_order_acquire) != s) return fell_behind();
    Change c;
    c.seq = s;
    c.collection = e.collection;
    c.op = static_cast<L::ChangeOp>(e.op);
    c.id.assign(e.id, std::min<std::size_t>(e.id_len, L::kMaxIdBytes));
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != s) return fell_behind();
    out->push_back(std::move(c));
  }
  return Status::ok();
}

uint32_t wait_for_change(const L::SegmentHeader* h, uint32_t seen, int timeout_ms) {
  uint32_t now = h->change_futex.load(std::memory_order_acquire);
  if (now != seen) return now;
  timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  syscall(SYS_futex, const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(&h->change_futex)),
          FUTEX_WAIT, seen, &ts, nullptr, 0);
  return h->change_futex.load(std::memory_order_acquire);
}

}  // namespace xr::cache

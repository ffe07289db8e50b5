// Writer::compact: copies the live records of the active half, in collection order, into the
// retired half with fresh arrays and index, then switches halves (layout.h, "COMPACTS").
#include <sys/mman.h>

#include <cstring>
#include <vector>

#include "base/log.h"
#include "cache/writer.h"

namespace xr::cache {
namespace L = layout;

namespace {
constexpr log::Logger kLog("cache");

struct Plan {
  uint64_t live[L::kMaxCollections] = {};
  uint64_t cap[L::kMaxCollections] = {};
  uint64_t slots = 1024;
  uint64_t total = 0;
};

uint64_t plan_bytes(Plan* p, uint32_t count, uint64_t record_bytes, uint64_t headroom_pct) {
  uint64_t all = 0;
  for (uint32_t c = 0; c < count; ++c) all += p->live[c];
  p->slots = 1024;
  while (p->slots < all * 2 + 2) p->slots <<= 1;
  uint64_t total = sizeof(L::HalfHeader) + sizeof(L::IndexHeader) + p->slots * 8 + record_bytes;
  for (uint32_t c = 0; c < count; ++c) {
    p->cap[c] = std::max<uint64_t>(16, p->live[c] + p->live[c] * headroom_pct / 100);
    total += L::align8(sizeof(L::ArrayHeader) + p->cap[c] * sizeof(L::ArrayEntry));
  }
  p->total = total;
  return total;
}

// Copies collection c's live records from src into dst at *bump, filling array and index.
void copy_collection(const Half& src, const Half& dst, uint32_t c, uint64_t array_off,
                     uint64_t cap, uint64_t* bump) {
  auto* a = reinterpret_cast<L::ArrayHeader*>(dst.base + array_off);
  a->capacity = static_cast<uint32_t>(cap);
  auto* out = reinterpret_cast<L::ArrayEntry*>(a + 1);
  uint64_t n = 0;
  L::IndexHeader* idx = dst.index(&n);
  auto* slots = dst.index_slots(idx);
  uint32_t len = 0, k = 0;
  const L::ArrayEntry* in = src.array(c, &len);
  for (uint32_t i = 0; in != nullptr && i < len; ++i) {
    RecordRef r = src.record(in[i].record.load(std::memory_order_relaxed));
    if (!r || k >= cap) continue;
    uint64_t off = *bump;
    std::memcpy(dst.base + off, r.base, r.bytes);
    auto* copy = reinterpret_cast<L::RecordHeader*>(dst.base + off);
    copy->slot = k;
    *bump += r.bytes;
    out[k].order = in[i].order;
    out[k].record.store(off, std::memory_order_relaxed);
    ++k;
    uint64_t h = L::key_hash(c, r.id().data(), r.id_len);
    uint64_t j = h & (n - 1);
    while (slots[j].load(std::memory_order_relaxed) != 0) j = (j + 1) & (n - 1);
    slots[j].store(L::pack_slot(off, c, h), std::memory_order_relaxed);
    ++idx->used;
  }
  L::CollectionDir& dir = dst.header()->dirs[c];
  dir.array_ref.store(array_off, std::memory_order_relaxed);
  dir.length.store(k, std::memory_order_relaxed);
  dir.live.store(k, std::memory_order_relaxed);
}

// Counts the live objects per collection; returns their record bytes.
uint64_t count_live(const Half& src, uint32_t count, Plan* plan) {
  uint64_t record_bytes = 0;
  for (uint32_t c = 0; c < count; ++c) {
    uint32_t len = 0;
    const L::ArrayEntry* e = src.array(c, &len);
    for (uint32_t i = 0; e != nullptr && i < len; ++i) {
      RecordRef r = src.record(e[i].record.load(std::memory_order_relaxed));
      if (!r) continue;
      ++plan->live[c];
      record_bytes += r.bytes;
    }
  }
  return record_bytes;
}

// Writes a fresh half header, an empty index and empty arrays; returns the bump pointer.
uint64_t lay_out_target(const Half& dst, const Plan& plan, uint32_t count, std::vector<uint64_t>* arrays) {
  std::memset(dst.base, 0, sizeof(L::HalfHeader));
  auto* hh = new (dst.base) L::HalfHeader{};
  hh->capacity = dst.capacity;
  uint64_t bump = sizeof(L::HalfHeader);
  auto* idx = reinterpret_cast<L::IndexHeader*>(dst.base + bump);
  std::memset(static_cast<void*>(idx), 0, sizeof(L::IndexHeader) + plan.slots * 8);
  idx->slots = plan.slots;
  hh->index_ref.store(bump, std::memory_order_relaxed);
  bump = L::align8(bump + sizeof(L::IndexHeader) + plan.slots * 8);
  arrays->assign(count, 0);
  for (uint32_t c = 0; c < count; ++c) {
    (*arrays)[c] = bump;
    uint64_t bytes = sizeof(L::ArrayHeader) + plan.cap[c] * sizeof(L::ArrayEntry);
    std::memset(dst.base + bump, 0, bytes);
    bump = L::align8(bump + bytes);
  }
  return bump;
}

}  // namespace

Status Writer::compact() {
  uint32_t a = header_->active_half.load(std::memory_order_relaxed);
  uint32_t t = 1 - a;
  Half src = active();
  Half dst{base_ + header_->half_off[t], header_->half_bytes};
  uint32_t count = header_->collection_count.load(std::memory_order_relaxed);
  Plan plan;
  uint64_t record_bytes = count_live(src, count, &plan);
  if (plan_bytes(&plan, count, record_bytes, 50) > dst.capacity &&
      plan_bytes(&plan, count, record_bytes, 0) > dst.capacity) {
    return Status(ErrorKind::kResourceExhausted, "cache: live data exceeds one half");
  }
  // The target is retired (odd) already unless a previous writer died mid-way.
  if (header_->half_gen[t].load() % 2 == 0) header_->half_gen[t].fetch_add(1);
  std::atomic_thread_fence(std::memory_order_release);
  std::vector<uint64_t> arrays;
  uint64_t bump = lay_out_target(dst, plan, count, &arrays);
  for (uint32_t c = 0; c < count; ++c) copy_collection(src, dst, c, arrays[c], plan.cap[c], &bump);
  dst.header()->used.store(bump, std::memory_order_relaxed);
  header_->live_bytes.store(record_bytes, std::memory_order_relaxed);
  // Publish: target stable (even), switch, retire the source (odd) and drop its pages.
  header_->half_gen[t].fetch_add(1, std::memory_order_release);
  header_->active_half.store(t, std::memory_order_release);
  header_->half_gen[a].fetch_add(1, std::memory_order_release);
  madvise(src.base, src.capacity, MADV_REMOVE);
  header_->compactions.fetch_add(1, std::memory_order_relaxed);
  post_compact_used_ = bump;
  post_compact_live_ = record_bytes;
  if (bump > dst.capacity / 10 * 9) {
    kLog.warn("cache nearly full after compaction: " + std::to_string(bump) + " of " +
              std::to_string(dst.capacity) + " bytes per half");
  }
  return Status::ok();
}

}  // namespace xr::cache

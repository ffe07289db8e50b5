#include "cache/writer.h"

#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "cache/change_log.h"

namespace xr::cache {
namespace L = layout;

namespace {
constexpr log::Logger kLog("cache");
constexpr uint64_t kMinIndexSlots = 1024;
constexpr uint32_t kMinArray = 16;

uint64_t index_bytes(uint64_t slots) { return sizeof(L::IndexHeader) + slots * 8; }
uint64_t array_bytes(uint64_t cap) { return sizeof(L::ArrayHeader) + cap * sizeof(L::ArrayEntry); }
uint64_t pow2_at_least(uint64_t n) {
  uint64_t p = kMinIndexSlots;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

Writer::Writer(const Segment& segment)
    : base_(segment.base()),
      header_(segment.header()),
      ring_(reinterpret_cast<L::ChangeEntry*>(segment.base() + segment.header()->log_off)),
      pools_(reinterpret_cast<L::PoolStatusSlot*>(segment.base() + segment.header()->pools_off)) {
  header_->writer_pid.store(static_cast<uint32_t>(getpid()));
  const auto* names = reinterpret_cast<const L::CollectionName*>(base_ + header_->names_off);
  uint32_t count = header_->collection_count.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < count && i < L::kMaxCollections; ++i) {
    collections_.emplace(std::string(names[i].name, std::min(names[i].len, L::kNameBytes)),
                         static_cast<uint16_t>(i));
  }
  if (header_->batch_seq.load() % 2 != 0) header_->batch_seq.fetch_add(1);
  if (header_->next_order > 1) {
    // A previous writer died: rebuild from the collection arrays, dropping half-done work.
    Status s = compact();
    if (!s.is_ok()) kLog.error("cache: rebuilding after writer restart failed: " + s.to_string());
  }
}

Half Writer::active() const {
  uint32_t a = header_->active_half.load(std::memory_order_relaxed);
  return Half{base_ + header_->half_off[a], header_->half_bytes};
}

Result<uint16_t> Writer::collection_index(std::string_view name) {
  auto it = collections_.find(std::string(name));
  if (it != collections_.end()) return it->second;
  uint32_t count = header_->collection_count.load(std::memory_order_relaxed);
  if (name.empty() || name.size() > L::kNameBytes || count >= L::kMaxCollections) {
    return Status(ErrorKind::kInvalidArgument,
                  "cache: cannot add collection '" + std::string(name) + "' (bad name or table full)");
  }
  auto* names = reinterpret_cast<L::CollectionName*>(base_ + header_->names_off);
  names[count].len = static_cast<uint32_t>(name.size());
  std::memcpy(names[count].name, name.data(), name.size());
  header_->collection_count.store(count + 1, std::memory_order_release);
  collections_.emplace(std::string(name), static_cast<uint16_t>(count));
  return static_cast<uint16_t>(count);
}

uint64_t Writer::alloc(const Half& half, uint64_t bytes) {
  L::HalfHeader* hh = half.header();
  uint64_t off = hh->used.load(std::memory_order_relaxed);
  if (bytes > half.capacity - off) return 0;
  hh->used.store(off + L::align8(bytes), std::memory_order_relaxed);
  return off;
}

// Bytes a new object may need beyond its record: a bigger array and a bigger index.
Status Writer::ensure_space(const Half& half, uint32_t coll, uint64_t record_bytes, bool new_object) {
  uint64_t need = record_bytes;
  if (new_object) {
    uint32_t len = 0;
    L::ArrayHeader* a = nullptr;
    if (half.array(coll, &len) != nullptr) {
      a = reinterpret_cast<L::ArrayHeader*>(half.base + half.header()->dirs[coll].array_ref.load());
    }
    if (a == nullptr) need += array_bytes(kMinArray);
    else if (half.header()->dirs[coll].length.load() >= a->capacity) need += array_bytes(a->capacity * 2ull);
    uint64_t slots = 0;
    L::IndexHeader* idx = half.index(&slots);
    if (idx == nullptr) need += index_bytes(kMinIndexSlots);
    else if ((idx->used + 1) * 10 > slots * 7) need += index_bytes(pow2_at_least((idx->used + 1) * 3));
  }
  uint64_t used = half.header()->used.load(std::memory_order_relaxed);
  if (need > half.capacity - used) {
    return Status(ErrorKind::kResourceExhausted, std::to_string(need));
  }
  return Status::ok();
}

Status Writer::grow_array(const Half& half, uint32_t coll) {
  L::CollectionDir& dir = half.header()->dirs[coll];
  uint32_t len = 0;
  L::ArrayEntry* old = half.array(coll, &len);
  uint64_t old_cap = old == nullptr ? 0 : reinterpret_cast<L::ArrayHeader*>(old)[-1].capacity;
  if (old != nullptr && len < old_cap) return Status::ok();
  uint64_t cap = old == nullptr ? kMinArray : old_cap * 2;
  uint64_t off = alloc(half, array_bytes(cap));
  if (off == 0) return Status(ErrorKind::kResourceExhausted, "cache: no room for an array");
  auto* a = reinterpret_cast<L::ArrayHeader*>(half.base + off);
  std::memset(static_cast<void*>(a), 0, array_bytes(cap));
  a->capacity = static_cast<uint32_t>(cap);
  auto* e = reinterpret_cast<L::ArrayEntry*>(a + 1);
  for (uint32_t i = 0; i < len; ++i) {
    e[i].order = old[i].order;
    e[i].record.store(old[i].record.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  dir.array_ref.store(off, std::memory_order_release);
  return Status::ok();
}

Status Writer::grow_index(const Half& half) {
  uint64_t slots = 0;
  L::IndexHeader* old = half.index(&slots);
  if (old != nullptr && (old->used + 1) * 10 <= slots * 7) return Status::ok();
  uint64_t live = 0;
  for (const auto& [name, c] : collections_) live += half.header()->dirs[c].live.load();
  uint64_t n = pow2_at_least((live + 1) * 3);
  uint64_t off = alloc(half, index_bytes(n));
  if (off == 0) return Status(ErrorKind::kResourceExhausted, "cache: no room for the index");
  auto* idx = reinterpret_cast<L::IndexHeader*>(half.base + off);
  std::memset(static_cast<void*>(idx), 0, index_bytes(n));
  idx->slots = n;
  auto* dst = half.index_slots(idx);
  if (old != nullptr) {
    const auto* src = half.index_slots(old);
    for (uint64_t i = 0; i < slots; ++i) {
      uint64_t v = src[i].load(std::memory_order_relaxed);
      if (v == 0 || v == L::kTombstone) continue;
      RecordRef r = half.record(L::slot_record(v));
      uint64_t h = L::key_hash(r.collection, r.id().data(), r.id_len);
      uint64_t j = h & (n - 1);
      while (dst[j].load(std::memory_order_relaxed) != 0) j = (j + 1) & (n - 1);
      dst[j].store(v, std::memory_order_relaxed);
      ++idx->used;
    }
  }
  half.header()->index_ref.store(off, std::memory_order_release);
  return Status::ok();
}

void Writer::report_full(std::string_view collection, std::string_view id, uint64_t need) {
  header_->full_errors.fetch_add(1, std::memory_order_relaxed);
  if (full_in_batch_++ == 0) {
    kLog.error("cache FULL: cannot store " + std::string(collection) + "/" + std::string(id) +
               " (" + std::to_string(need) + " bytes needed, " +
               std::to_string(header_->live_bytes.load()) + " live of " +
               std::to_string(header_->half_bytes) + " per half): raise the cache size");
  }
}

}  // namespace xr::cache

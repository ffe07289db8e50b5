#include "cache/half_index.h"

#include <cstring>

namespace xr::cache {
namespace L = layout;

L::IndexHeader* Half::index(uint64_t* slots) const {
  uint64_t off = header()->index_ref.load(std::memory_order_acquire);
  // (idx->slots is read once below: the index may be rewritten under a racing reader.)
  if (off < sizeof(L::HalfHeader) || off % 8 != 0 || off + sizeof(L::IndexHeader) > capacity) {
    return nullptr;
  }
  auto* idx = reinterpret_cast<L::IndexHeader*>(base + off);
  uint64_t n = shared_load(idx->slots);
  if (n == 0 || (n & (n - 1)) != 0 || n > (capacity - off - sizeof(L::IndexHeader)) / 8) return nullptr;
  *slots = n;
  return idx;
}

L::ArrayEntry* Half::array(uint32_t c, uint32_t* length) const {
  if (c >= L::kMaxCollections) return nullptr;
  const L::CollectionDir& dir = header()->dirs[c];
  uint64_t off = dir.array_ref.load(std::memory_order_acquire);
  uint32_t len = dir.length.load(std::memory_order_acquire);
  if (off < sizeof(L::HalfHeader) || off % 8 != 0 || off + sizeof(L::ArrayHeader) > capacity) {
    return nullptr;
  }
  auto* a = reinterpret_cast<L::ArrayHeader*>(base + off);
  uint64_t cap = shared_load(a->capacity);
  if (cap > (capacity - off - sizeof(L::ArrayHeader)) / sizeof(L::ArrayEntry)) return nullptr;
  *length = static_cast<uint32_t>(std::min<uint64_t>(len, cap));
  return reinterpret_cast<L::ArrayEntry*>(a + 1);
}

Lookup lookup(const Half& half, uint32_t collection, std::string_view id, uint64_t hash) {
  Lookup r;
  uint64_t n = 0;
  L::IndexHeader* idx = half.index(&n);
  if (idx == nullptr) return r;
  std::atomic<uint64_t>* slots = half.index_slots(idx);
  uint64_t mask = n - 1;
  for (uint64_t probe = 0, i = hash & mask; probe < n; ++probe, i = (i + 1) & mask) {
    uint64_t v = slots[i].load(std::memory_order_acquire);
    if (v == 0) {
      if (r.insert < 0) r.insert = static_cast<int64_t>(i);
      return r;
    }
    if (v == L::kTombstone) {
      if (r.insert < 0) r.insert = static_cast<int64_t>(i);
      continue;
    }
    if (L::slot_collection(v) != collection || !L::slot_tag_matches(v, hash)) continue;
    RecordRef rec = half.record(L::slot_record(v));
    if (rec && rec.id() == id) {
      r.slot = static_cast<int64_t>(i);
      r.record = rec;
      return r;
    }
  }
  return r;
}

}  // namespace xr::cache

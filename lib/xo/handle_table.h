// HandleTable<V>: a value per object handle, for one batch of PoolModel. A hash map while
// the batch is small; after use_table(n), a flat table by slot (a handle's low 32 bits), so
// that a full resync's 100k+ entries cost no hash node each. A slot holds one handle at a
// time: setting a newer handle of a slot (reused within the batch) replaces the older one,
// which is then no longer found. Handles' generations (high 32 bits) start at 1. Pool thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "xo/id16_map.h"

namespace xr::xo {

template <class V>
class HandleTable {
 public:
  // Flat from now on, sized for slots below n (grows past it); what the map held moves in.
  // n == 0 keeps the map.
  void use_table(size_t n) {
    table_.resize(std::max(n, table_.size()));
    for (const auto& [h, v] : map_) put(h, v);
    std::unordered_map<Handle, V>().swap(map_);
  }
  const V* find(Handle h) const {
    if (table_.empty()) {
      auto it = map_.find(h);
      return it == map_.end() ? nullptr : &it->second;
    }
    const size_t slot = static_cast<uint32_t>(h);
    return slot < table_.size() && table_[slot].gen == gen(h) ? &table_[slot].value : nullptr;
  }
  void set(Handle h, V v) {
    if (table_.empty()) {
      map_[h] = v;
    } else {
      put(h, v);
    }
  }
  void erase(Handle h) {
    if (table_.empty()) {
      map_.erase(h);
    } else if (find(h)) {
      table_[static_cast<uint32_t>(h)] = Entry{};
    }
  }
  // Empty, in map mode, the table's memory freed.
  void clear() {
    std::vector<Entry>().swap(table_);
    map_.clear();
  }

 private:
  struct Entry {
    uint32_t gen = 0;  // 0: free
    V value{};
  };
  static uint32_t gen(Handle h) { return static_cast<uint32_t>(h >> 32); }
  void put(Handle h, V v) {
    const size_t slot = static_cast<uint32_t>(h);
    if (slot >= table_.size()) table_.resize(std::max(slot + 1, table_.size() * 2));
    table_[slot] = Entry{gen(h), v};
  }
  std::unordered_map<Handle, V> map_;
  std::vector<Entry> table_;
};

}  // namespace xr::xo

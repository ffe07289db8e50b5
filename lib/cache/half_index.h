// Bounds-checked access to one half of the cache arena (layout.h): the hash index and the
// collection arrays. Used by the writer (poller) and by readers (any thread); lookups never
// write and never block, and tolerate torn data by returning "not found" / empty.
#pragma once

#include <cstdint>
#include <string_view>

#include "cache/layout.h"
#include "cache/record.h"

namespace xr::cache {

struct Half {
  char* base = nullptr;
  uint64_t capacity = 0;

  layout::HalfHeader* header() const { return reinterpret_cast<layout::HalfHeader*>(base); }
  // The hash index, or nullptr if none / out of bounds. *slots receives its slot count.
  layout::IndexHeader* index(uint64_t* slots) const;
  std::atomic<uint64_t>* index_slots(layout::IndexHeader* idx) const {
    return reinterpret_cast<std::atomic<uint64_t>*>(idx + 1);
  }
  // The array of collection c, or nullptr; *length is clamped to its capacity.
  layout::ArrayEntry* array(uint32_t c, uint32_t* length) const;
  RecordRef record(uint64_t offset) const {
    return checked_record(base, capacity, offset);
  }
};

struct Lookup {
  int64_t slot = -1;     // index slot holding the object, -1 if absent
  int64_t insert = -1;   // first free or tombstone slot met while probing (for inserts)
  RecordRef record;      // snapshot of the object's current record (empty if absent)
};

// Probes for (collection, id) with precomputed hash = layout::key_hash(...).
Lookup lookup(const Half& half, uint32_t collection, std::string_view id, uint64_t hash);

}  // namespace xr::cache

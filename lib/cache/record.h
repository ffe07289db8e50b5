// One object version in the flat record form of layout.h: encoding (poller thread, pure
// computation) and the bounds-checked access readers use on shared memory (any thread).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cache/layout.h"

namespace xr::cache {

// Encodes `object` (a JSON object) as a record of `collection`. Order and slot are left 0
// for the writer to fill in. Fails with kInvalidArgument on a non-object, an id longer than
// layout::kMaxIdBytes, a non-finite number or a record over 4 GiB.
Status encode_record(uint16_t collection, std::string_view id, const rapidjson::Value& object,
                     std::string* out);

// One plain load of a field that the writer may be rewriting (a compaction reusing the
// memory): read once into a local, never re-read after it was validated.
template <typename T>
inline T shared_load(const T& field) {
  return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

// A validated snapshot of a record's header: every offset below was checked against the
// half and the record when the snapshot was taken, and readers use these copies, never the
// shared header again (it may change under them).
struct RecordRef {
  const char* base = nullptr;  // record start; nullptr = no record
  uint64_t order = 0;
  uint32_t bytes = 0;
  uint32_t slot = 0;
  uint32_t member_count = 0;
  uint32_t members_off = 0;
  uint32_t escapes_off = 0;
  uint32_t escape_count = 0;
  uint32_t json_off = 0;
  uint32_t json_len = 0;
  uint32_t id_off = 0;
  uint16_t collection = 0;
  uint16_t id_len = 0;

  explicit operator bool() const { return base != nullptr; }
  std::string_view id() const { return {base + id_off, id_len}; }
  const char* json() const { return base + json_off; }
  const layout::MemberEntry* members() const {
    return reinterpret_cast<const layout::MemberEntry*>(base + members_off);
  }
  const layout::EscapeEntry* escapes() const {
    return reinterpret_cast<const layout::EscapeEntry*>(base + escapes_off);
  }
};

// The record at `offset` of a half, checked: the header and its tables lie inside the half
// and inside the record. An empty RecordRef for anything inconsistent (torn data).
RecordRef checked_record(const char* half, uint64_t capacity, uint64_t offset);

}  // namespace xr::cache

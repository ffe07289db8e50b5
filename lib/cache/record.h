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

// A record in a half, checked: the header and its tables lie inside the half and inside
// the record. Returns nullptr for anything inconsistent (torn data).
const layout::RecordHeader* checked_record(const char* half, uint64_t capacity, uint64_t offset);

inline std::string_view record_id(const layout::RecordHeader* r) {
  return {reinterpret_cast<const char*>(r + 1), r->id_len};
}
inline const char* record_json(const layout::RecordHeader* r) {
  return reinterpret_cast<const char*>(r) + r->json_off;
}
inline const layout::MemberEntry* record_members(const layout::RecordHeader* r) {
  return reinterpret_cast<const layout::MemberEntry*>(reinterpret_cast<const char*>(r) +
                                                      r->members_off);
}
inline const layout::EscapeEntry* record_escapes(const layout::RecordHeader* r) {
  return reinterpret_cast<const layout::EscapeEntry*>(reinterpret_cast<const char*>(r) +
                                                      r->escapes_off);
}

}  // namespace xr::cache

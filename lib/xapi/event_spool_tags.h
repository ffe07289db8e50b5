// The one-byte tags of EventSpool's record encoding (event_spool.cpp writes and reads them,
// event_spool_sax.cpp writes them from the JSON parser's events): internal to lib/xapi.
#pragma once

#include <cstdint>

namespace xr::xapi::spool_tags {

// Tags of the encoding: one byte, then the payload.
enum Tag : uint8_t { kNil, kString, kInt, kFalse, kTrue, kDouble, kDateTime, kArray, kStruct };

}  // namespace xr::xapi::spool_tags

// HTTP Range requests on a download of known length (RFC 9110 §14): one byte range is
// served as 206 with Content-Range; anything the server may ignore (another unit, a
// syntax error, several ranges, an If-Range that no longer matches) means the whole
// body; a range starting past the end is 416. RangeWindow passes only the requested
// bytes of a stream that starts at offset 0. Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::transfer {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

struct RangeRequest {
  enum class Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range;  // kPartial
};

// `header` is the Range header's value (empty when absent); `if_range` the If-Range
// value (empty when absent) and `etag` the body's current strong ETag ("\"...\"").
RangeRequest parse_range(std::string_view header, uint64_t size, std::string_view if_range = {},
                         std::string_view etag = {});

// "bytes 0-99/1000" for a 206; "bytes */1000" for a 416.
std::string content_range(const ByteRange& r, uint64_t size);
std::string content_range_unsatisfied(uint64_t size);

// Cuts a stream (delivered from offset 0 in chunks) down to [first, last]: feed()
// returns the part of the chunk to forward; done() once `last` has passed, so the
// caller can stop reading.
class RangeWindow {
 public:
  explicit RangeWindow(ByteRange r) : r_(r) {}
  std::string_view feed(std::string_view chunk);
  bool done() const { return pos_ > r_.last; }

 private:
  ByteRange r_;
  uint64_t pos_ = 0;  // stream offset of the next byte fed
};

}  // namespace xr::transfer

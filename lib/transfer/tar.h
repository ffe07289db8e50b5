// Tar headers as found in XVA archives (old V7 and ustar; shared/reference/xapi.md §8.1):
// checksum, name, size (octal or base-256). Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::transfer {

inline constexpr size_t kTarBlock = 512;

struct TarHeader {
  std::string name;    // ustar prefix joined with '/'
  uint64_t size = 0;   // bytes of data after the header
  char type = '0';     // '0' or NUL: regular file
};

// True when the 512 bytes are all zero (an end-of-archive block).
bool is_zero_block(std::string_view block);

// Parses one 512-byte header; kInvalidArgument ("tar ...") on a bad checksum or field.
Result<TarHeader> parse_tar_header(std::string_view block);

// Bytes an entry of `size` occupies after its header (padded to 512).
inline uint64_t tar_padded(uint64_t size) { return (size + kTarBlock - 1) / kTarBlock * kTarBlock; }

}  // namespace xr::transfer

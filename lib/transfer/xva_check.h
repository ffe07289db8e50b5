// Checks an uploaded XVA before XAPI sees it (shared/reference/xapi.md §8): a tar whose
// first entry is ova.xml. Uncompressed archives are walked header by header (every
// checksum, every entry inside the file, the end-of-archive blocks present), so a
// truncated upload is refused up front; zstd/gzip archives (sniffed like xapi does) have
// their first entry checked by decompressing only the start — the rest is XAPI's to find
// (then a task failure). Constant memory. Blocking; any thread.
#pragma once

#include <cstdint>

#include "transfer/random_access.h"

namespace xr::transfer {

enum class XvaCompression { kNone, kGzip, kZstd };

struct XvaInfo {
  XvaCompression compression = XvaCompression::kNone;
  uint64_t entries = 0;  // tar entries (uncompressed only; 1 when only the start is read)
};

// kInvalidArgument ("XVA ...") naming the first problem; kIo if reading failed.
Result<XvaInfo> check_xva(const RandomAccess& file);

// The first bytes of a compressed stream, decompressed (at most `want` bytes; fewer if
// the stream ends). kInvalidArgument when the data is not valid for its format.
Result<std::string> decompress_head(const RandomAccess& file, XvaCompression c, size_t want);

}  // namespace xr::transfer

// Checks an uploaded VHD before any byte of it reaches XAPI: footer at the end (and its
// copy at the start), dynamic header, and that the BAT and every allocated block lie
// inside the file, so a truncated or corrupt upload is a clear 4xx and not a task
// failure half-way. Reads only the metadata (BAT in 64 KiB pieces): constant memory.
// Blocking; any thread.
#pragma once

#include <cstdint>

#include "transfer/random_access.h"
#include "transfer/vhd.h"

namespace xr::transfer {

struct VhdInfo {
  uint64_t virtual_size = 0;
  VhdType type = VhdType::kDynamic;
  uint64_t allocated_blocks = 0;  // dynamic/differencing: BAT entries in use
};

// kInvalidArgument ("VHD ...") naming the first problem; kIo if reading failed.
Result<VhdInfo> check_vhd(const RandomAccess& file);

}  // namespace xr::transfer

// The VHD format's fixed structures (footer, dynamic header; big-endian, checksummed) as
// xapi writes and reads them (shared/reference/xapi.md §9): parsing with every check a
// reader makes, and building them for exports. Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::transfer {

inline constexpr uint32_t kVhdSector = 512;
inline constexpr uint32_t kVhdBlockSize = 2u << 20;  // xapi's (and everyone's) block size
inline constexpr uint32_t kVhdUnallocated = 0xFFFFFFFFu;
inline constexpr size_t kVhdFooterSize = 512;
inline constexpr size_t kVhdHeaderSize = 1024;

enum class VhdType : uint32_t { kFixed = 2, kDynamic = 3, kDifferencing = 4 };

using VhdUid = std::array<uint8_t, 16>;

struct VhdFooter {
  uint64_t data_offset = 0;    // dynamic header's offset; all ones for fixed disks
  uint64_t original_size = 0;
  uint64_t current_size = 0;   // the virtual size
  VhdType type = VhdType::kDynamic;
  std::string creator;         // 4 characters ("caml", "tap\0", "qem2", ...)
  VhdUid uid{};
};

struct VhdDynamicHeader {
  uint64_t table_offset = 0;   // the BAT's offset in the file
  uint32_t max_table_entries = 0;
  uint32_t block_size = 0;
  VhdUid parent_uid{};
};

// One's complement of the byte sum of `bytes`, the 4 bytes at `checksum_at` counted as 0.
uint32_t vhd_checksum(std::string_view bytes, size_t checksum_at);

// Parses a 512-byte footer: cookie "conectix", checksum, version 1.0, disk type 2/3/4,
// a non-zero current size. kInvalidArgument naming the first problem.
Result<VhdFooter> parse_vhd_footer(std::string_view bytes);

// Parses a 1024-byte dynamic header: cookie "cxsparse", checksum, version, data offset
// all ones, a power-of-two block size of at least a sector.
Result<VhdDynamicHeader> parse_vhd_dynamic_header(std::string_view bytes);

// A dynamic disk's footer as xapi's exporter writes it, except the creator: "tap\0", so
// that qemu-img takes the size from the footer rather than the CHS geometry (§9.3).
std::string make_vhd_footer(uint64_t virtual_size, const VhdUid& uid);
// Its dynamic header: BAT at 2048, 2 MiB blocks, ceil(size / 2 MiB) entries.
std::string make_vhd_dynamic_header(uint64_t virtual_size);

// Big-endian helpers shared by the VHD code.
uint32_t load_be32(const char* p);
uint64_t load_be64(const char* p);
void store_be32(char* p, uint32_t v);
void store_be64(char* p, uint64_t v);

}  // namespace xr::transfer

#include "transfer/vhd.h"

#include <cstring>

namespace xr::transfer {
namespace {

constexpr uint32_t kVersion = 0x00010000;

Status bad(std::string what) { return Status(ErrorKind::kInvalidArgument, "VHD " + std::move(what)); }

// CHS geometry of the VHD specification (appendix "CHS calculation").
void store_geometry(char* p, uint64_t size) {
  uint64_t sectors = size / kVhdSector;
  if (sectors > 65535ull * 16 * 255) sectors = 65535ull * 16 * 255;
  uint64_t spt, heads, cyl_x_heads;
  if (sectors >= 65535ull * 16 * 63) {
    spt = 255;
    heads = 16;
    cyl_x_heads = sectors / spt;
  } else {
    spt = 17;
    cyl_x_heads = sectors / spt;
    heads = (cyl_x_heads + 1023) / 1024;
    if (heads < 4) heads = 4;
    if (cyl_x_heads >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cyl_x_heads = sectors / spt;
    }
    if (cyl_x_heads >= heads * 1024) {
      spt = 63;
      heads = 16;
      cyl_x_heads = sectors / spt;
    }
  }
  uint64_t cylinders = cyl_x_heads / heads;
  p[0] = static_cast<char>((cylinders >> 8) & 0xFF);
  p[1] = static_cast<char>(cylinders & 0xFF);
  p[2] = static_cast<char>(heads);
  p[3] = static_cast<char>(spt);
}

}  // namespace

uint32_t load_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
}
uint64_t load_be64(const char* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
void store_be32(char* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xFF);
}
void store_be64(char* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

uint32_t vhd_checksum(std::string_view bytes, size_t checksum_at) {
  uint32_t sum = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    if (i < checksum_at || i >= checksum_at + 4) sum += static_cast<unsigned char>(bytes[i]);
  return ~sum;
}

Result<VhdFooter> parse_vhd_footer(std::string_view b) {
  if (b.size() != kVhdFooterSize) return bad("footer: need 512 bytes");
  if (b.substr(0, 8) != "conectix")
    return bad("footer: no 'conectix' cookie (not a VHD, or a truncated upload)");
  if (load_be32(b.data() + 64) != vhd_checksum(b, 64)) return bad("footer: checksum mismatch");
  if (load_be32(b.data() + 12) != kVersion) return bad("footer: unsupported format version");
  VhdFooter f;
  f.data_offset = load_be64(b.data() + 16);
  f.original_size = load_be64(b.data() + 40);
  f.current_size = load_be64(b.data() + 48);
  uint32_t type = load_be32(b.data() + 60);
  if (type < 2 || type > 4) return bad("footer: disk type " + std::to_string(type) + " is not fixed, dynamic or differencing");
  f.type = static_cast<VhdType>(type);
  if (f.current_size == 0) return bad("footer: virtual size 0");
  if (f.current_size % kVhdSector != 0) return bad("footer: virtual size is not a multiple of 512");
  f.creator.assign(b.data() + 28, 4);
  std::memcpy(f.uid.data(), b.data() + 68, 16);
  return f;
}

Result<VhdDynamicHeader> parse_vhd_dynamic_header(std::string_view b) {
  if (b.size() != kVhdHeaderSize) return bad("dynamic header: need 1024 bytes");
  if (b.substr(0, 8) != "cxsparse") return bad("dynamic header: no 'cxsparse' cookie");
  if (load_be32(b.data() + 36) != vhd_checksum(b, 36))
    return bad("dynamic header: checksum mismatch");
  if (load_be64(b.data() + 8) != ~uint64_t{0}) return bad("dynamic header: data offset is not all ones");
  if (load_be32(b.data() + 24) != kVersion) return bad("dynamic header: unsupported version");
  VhdDynamicHeader h;
  h.table_offset = load_be64(b.data() + 16);
  h.max_table_entries = load_be32(b.data() + 28);
  h.block_size = load_be32(b.data() + 32);
  if (h.block_size < kVhdSector || (h.block_size & (h.block_size - 1)) != 0)
    return bad("dynamic header: block size " + std::to_string(h.block_size) + " is not a power of two");
  std::memcpy(h.parent_uid.data(), b.data() + 40, 16);
  return h;
}

std::string make_vhd_footer(uint64_t size, const VhdUid& uid) {
  std::string f(kVhdFooterSize, '\0');
  std::memcpy(f.data(), "conectix", 8);
  store_be32(f.data() + 8, 2);
  store_be32(f.data() + 12, kVersion);
  store_be64(f.data() + 16, kVhdFooterSize);
  std::memcpy(f.data() + 28, "tap\0", 4);
  store_be32(f.data() + 32, 0x00010003);
  store_be64(f.data() + 40, size);
  store_be64(f.data() + 48, size);
  store_geometry(f.data() + 56, size);
  store_be32(f.data() + 60, static_cast<uint32_t>(VhdType::kDynamic));
  std::memcpy(f.data() + 68, uid.data(), 16);
  store_be32(f.data() + 64, vhd_checksum(f, 64));
  return f;
}

std::string make_vhd_dynamic_header(uint64_t size) {
  std::string h(kVhdHeaderSize, '\0');
  std::memcpy(h.data(), "cxsparse", 8);
  store_be64(h.data() + 8, ~uint64_t{0});
  store_be64(h.data() + 16, 2048);
  store_be32(h.data() + 24, kVersion);
  store_be32(h.data() + 28, static_cast<uint32_t>((size + kVhdBlockSize - 1) / kVhdBlockSize));
  store_be32(h.data() + 32, kVhdBlockSize);
  store_be32(h.data() + 36, vhd_checksum(h, 36));
  return h;
}

}  // namespace xr::transfer

#include "transfer/vhd_check.h"

#include <algorithm>
#include <string>
#include <vector>

namespace xr::transfer {
namespace {

Status bad(std::string what) { return Status(ErrorKind::kInvalidArgument, "VHD " + std::move(what)); }

// Every BAT entry in use must name a block (bitmap + data) that ends before the footer.
Status check_bat(const RandomAccess& file, const VhdFooter& footer, const VhdDynamicHeader& h,
                 uint64_t* allocated) {
  uint64_t data_end = file.size() - kVhdFooterSize;
  uint64_t entries = h.max_table_entries;
  if (entries * h.block_size < footer.current_size)
    return bad("dynamic header: " + std::to_string(entries) + " blocks of " +
               std::to_string(h.block_size) + " bytes do not cover the virtual size");
  if (h.table_offset < kVhdFooterSize + kVhdHeaderSize || h.table_offset > data_end ||
      entries * 4 > data_end - h.table_offset)
    return bad("block table lies outside the file (truncated upload?)");
  uint64_t bitmap = (h.block_size / kVhdSector + 8 * kVhdSector - 1) / (8 * kVhdSector) * kVhdSector;
  constexpr uint64_t kPiece = 16384;  // entries per read: 64 KiB
  std::string buf;
  for (uint64_t first = 0; first < entries; first += kPiece) {
    uint64_t n = std::min(kPiece, entries - first);
    XR_ASSIGN_OR_RETURN(buf, file.read_string(h.table_offset + first * 4, n * 4));
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t sector = load_be32(buf.data() + i * 4);
      if (sector == kVhdUnallocated) continue;
      uint64_t start = uint64_t{sector} * kVhdSector;
      if (start < h.table_offset + entries * 4 && start + bitmap + h.block_size > h.table_offset)
        return bad("block " + std::to_string(first + i) + " overlaps the block table");
      if (start > data_end || bitmap + h.block_size > data_end - start)
        return bad("block " + std::to_string(first + i) +
                   " lies beyond the end of the file (truncated upload?)");
      ++*allocated;
    }
  }
  return Status::ok();
}

}  // namespace

Result<VhdInfo> check_vhd(const RandomAccess& file) {
  if (file.size() < kVhdFooterSize)
    return bad("upload is " + std::to_string(file.size()) + " bytes, shorter than a footer");
  XR_ASSIGN_OR_RETURN(std::string tail, file.read_string(file.size() - kVhdFooterSize, kVhdFooterSize));
  XR_ASSIGN_OR_RETURN(VhdFooter footer, parse_vhd_footer(tail));
  VhdInfo info;
  info.virtual_size = footer.current_size;
  info.type = footer.type;
  if (footer.type == VhdType::kFixed) {
    if (file.size() != footer.current_size + kVhdFooterSize)
      return bad("fixed disk of " + std::to_string(footer.current_size) + " bytes in a file of " +
                 std::to_string(file.size()) + " (truncated upload?)");
    return info;
  }
  if (file.size() < kVhdFooterSize * 2 + kVhdHeaderSize)
    return bad("dynamic disk shorter than its footers and header");
  XR_ASSIGN_OR_RETURN(std::string head, file.read_string(0, kVhdFooterSize));
  if (head != tail) {
    Result<VhdFooter> copy = parse_vhd_footer(head);
    if (!copy.is_ok()) return bad("footer copy at the start: " + copy.status().message().substr(4));
    return bad("footer copy at the start differs from the footer at the end");
  }
  if (footer.data_offset < kVhdFooterSize ||
      footer.data_offset > file.size() - kVhdFooterSize - kVhdHeaderSize)
    return bad("footer: dynamic header offset lies outside the file");
  XR_ASSIGN_OR_RETURN(std::string hb, file.read_string(footer.data_offset, kVhdHeaderSize));
  XR_ASSIGN_OR_RETURN(VhdDynamicHeader header, parse_vhd_dynamic_header(hb));
  XR_RETURN_IF_ERROR(check_bat(file, footer, header, &info.allocated_blocks));
  return info;
}

}  // namespace xr::transfer

// The byte layout of a dynamic VHD stream made from a disk's allocated 2 MiB blocks, as
// xapi's exporter lays it out (shared/reference/xapi.md §9.2): head = footer copy,
// dynamic header, one zero sector, BAT (padded with 0xFF to a sector); then for each
// allocated block in increasing order a 512-byte all-ones bitmap and 2 MiB of data; then
// the footer. Its total size is known before the first byte: the export's Content-Length.
// VhdHeadParser reads the block map back from the start of such a stream.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "transfer/vhd.h"

namespace xr::transfer {

class VhdLayout {
 public:
  // REQUIRES: `blocks` strictly increasing, each < ceil(virtual_size / 2 MiB);
  // virtual_size a positive multiple of 512.
  VhdLayout(uint64_t virtual_size, std::vector<uint32_t> blocks, const VhdUid& uid);

  uint64_t size() const { return size_; }
  uint64_t virtual_size() const { return virtual_size_; }
  const std::string& head() const { return head_; }
  const std::string& tail() const { return footer_; }
  const std::vector<uint32_t>& blocks() const { return blocks_; }
  // The 512-byte sector bitmap written before every block (all sectors present).
  static std::string bitmap() { return std::string(kVhdSector, '\xFF'); }
  // Offset of the i-th allocated block's bitmap in the stream.
  uint64_t block_offset(size_t i) const {
    return head_.size() + i * uint64_t{kVhdSector + kVhdBlockSize};
  }
  // Disk offset and bytes of the i-th block that lie inside the disk (the last block of a
  // disk whose size is not a multiple of 2 MiB is padded with zeros).
  uint64_t disk_offset(size_t i) const { return uint64_t{blocks_[i]} * kVhdBlockSize; }
  uint64_t bytes_in_disk(size_t i) const;

 private:
  uint64_t virtual_size_;
  std::vector<uint32_t> blocks_;
  std::string head_;
  std::string footer_;
  uint64_t size_;
};

// Push parser of the start of a dynamic VHD stream (footer copy, header, BAT): feed()
// consumes what it needs and sets done(); then blocks() are the allocated block indices
// in increasing order and virtual_size() the disk's size. Errors are kProtocol: the
// stream comes from XAPI, not from a client. Memory: the BAT (4 bytes per 2 MiB).
class VhdHeadParser {
 public:
  // Consumes bytes of the stream from its start; returns how many were used (fewer than
  // given once done()).
  Result<size_t> feed(std::string_view chunk);
  bool done() const { return done_; }
  uint64_t virtual_size() const { return virtual_size_; }
  const std::vector<uint32_t>& blocks() const { return blocks_; }
  // The whole stream's length as its BAT lays it out (the last block's end plus the
  // footer; BAT end rounded to a sector plus the footer when nothing is allocated):
  // what the export's Content-Length is, known before the first block arrives.
  uint64_t stream_size() const { return stream_size_; }

 private:
  Status on_complete();
  uint64_t stream_size_ = 0;
  std::string buf_;
  uint64_t need_ = kVhdFooterSize + kVhdHeaderSize;
  bool have_header_ = false;
  bool done_ = false;
  uint64_t virtual_size_ = 0;
  uint64_t table_offset_ = 0;
  uint32_t entries_ = 0;
  uint32_t block_size_ = 0;
  std::vector<uint32_t> blocks_;
};

}  // namespace xr::transfer

#include "transfer/vhd_layout.h"

#include <algorithm>

namespace xr::transfer {

VhdLayout::VhdLayout(uint64_t virtual_size, std::vector<uint32_t> blocks, const VhdUid& uid)
    : virtual_size_(virtual_size), blocks_(std::move(blocks)) {
  footer_ = make_vhd_footer(virtual_size, uid);
  uint32_t entries = static_cast<uint32_t>((virtual_size + kVhdBlockSize - 1) / kVhdBlockSize);
  uint64_t bat_bytes = (uint64_t{entries} * 4 + kVhdSector - 1) / kVhdSector * kVhdSector;
  head_ = footer_;
  head_ += make_vhd_dynamic_header(virtual_size);
  head_.append(kVhdSector, '\0');
  size_t bat_at = head_.size();
  head_.append(bat_bytes, '\xFF');
  uint64_t first = head_.size();
  for (size_t i = 0; i < blocks_.size(); ++i) {
    uint64_t at = first + i * uint64_t{kVhdSector + kVhdBlockSize};
    store_be32(head_.data() + bat_at + uint64_t{blocks_[i]} * 4,
               static_cast<uint32_t>(at / kVhdSector));
  }
  size_ = first + blocks_.size() * uint64_t{kVhdSector + kVhdBlockSize} + footer_.size();
}

uint64_t VhdLayout::bytes_in_disk(size_t i) const {
  uint64_t at = disk_offset(i);
  return std::min<uint64_t>(kVhdBlockSize, virtual_size_ - at);
}

Result<size_t> VhdHeadParser::feed(std::string_view chunk) {
  if (done_) return size_t{0};
  size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), need_ - buf_.size()));
  buf_.append(chunk.substr(0, take));
  if (buf_.size() < need_) return take;
  if (!have_header_) {
    Result<VhdFooter> f = parse_vhd_footer(std::string_view(buf_).substr(0, kVhdFooterSize));
    if (!f.is_ok()) return Status(ErrorKind::kProtocol, f.status().message());
    if (f->type == VhdType::kFixed || f->data_offset != kVhdFooterSize)
      return Status(ErrorKind::kProtocol, "VHD stream: not a dynamic disk with its header at 512");
    Result<VhdDynamicHeader> h =
        parse_vhd_dynamic_header(std::string_view(buf_).substr(kVhdFooterSize, kVhdHeaderSize));
    if (!h.is_ok()) return Status(ErrorKind::kProtocol, h.status().message());
    if (h->table_offset < buf_.size() || h->max_table_entries > (1u << 24))
      return Status(ErrorKind::kProtocol, "VHD stream: unexpected block table placement or size");
    have_header_ = true;
    virtual_size_ = f->current_size;
    table_offset_ = h->table_offset;
    entries_ = h->max_table_entries;
    block_size_ = h->block_size;
    need_ = table_offset_ + uint64_t{entries_} * 4;
    XR_ASSIGN_OR_RETURN(size_t more, feed(chunk.substr(take)));
    return take + more;
  }
  XR_RETURN_IF_ERROR(on_complete());
  return take;
}

Status VhdHeadParser::on_complete() {
  if (block_size_ != kVhdBlockSize)
    return Status(ErrorKind::kProtocol, "VHD stream: block size is not 2 MiB");
  uint64_t end = (table_offset_ + uint64_t{entries_} * 4 + kVhdSector - 1) / kVhdSector * kVhdSector;
  for (uint32_t i = 0; i < entries_; ++i) {
    uint32_t s = load_be32(buf_.data() + table_offset_ + uint64_t{i} * 4);
    if (s == kVhdUnallocated) continue;
    blocks_.push_back(i);
    end = std::max<uint64_t>(end, uint64_t{s} * kVhdSector + kVhdSector + kVhdBlockSize);
  }
  stream_size_ = end + kVhdFooterSize;
  buf_.clear();
  buf_.shrink_to_fit();
  done_ = true;
  return Status::ok();
}

}  // namespace xr::transfer

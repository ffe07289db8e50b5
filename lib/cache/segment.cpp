#include "cache/segment.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <string>

namespace xr::cache {
namespace L = layout;

namespace {

Status errno_status(const char* what) {
  return Status(ErrorKind::kIo, std::string(what) + ": " + std::strerror(errno));
}

// Places the fixed tables and splits the rest into two 4 KiB-aligned halves.
Status lay_out(char* base, uint64_t bytes, uint32_t log_capacity) {
  auto* h = new (base) L::SegmentHeader{};
  h->magic = L::kMagic;
  h->version = L::kVersion;
  h->header_bytes = L::kHeaderBytes;
  h->segment_bytes = bytes;
  h->pools_off = L::kHeaderBytes;
  h->names_off = L::align8(h->pools_off + sizeof(L::PoolStatusSlot) * L::kMaxPools);
  h->log_off = L::align8(h->names_off + sizeof(L::CollectionName) * L::kMaxCollections);
  h->log_capacity = log_capacity;
  uint32_t instance = 0;
  if (getrandom(&instance, sizeof instance, 0) != sizeof instance) {
    instance = static_cast<uint32_t>(getpid()) ^ static_cast<uint32_t>(time(nullptr));
  }
  h->instance = instance;
  uint64_t halves = (h->log_off + sizeof(L::ChangeEntry) * log_capacity + 4095) & ~uint64_t{4095};
  uint64_t half = ((bytes - std::min(bytes, halves)) / 2) & ~uint64_t{4095};
  if (half < (1u << 20)) {
    return Status(ErrorKind::kInvalidArgument,
                  "cache size " + std::to_string(bytes) + " too small for the layout");
  }
  h->half_off[0] = halves;
  h->half_off[1] = halves + half;
  h->half_bytes = half;
  for (int i = 0; i < 2; ++i) {
    auto* hh = new (base + h->half_off[i]) L::HalfHeader{};
    hh->capacity = half;
    hh->used.store(sizeof(L::HalfHeader));
  }
  h->half_gen[0].store(0);
  h->half_gen[1].store(1);  // retired: the writer fills it at the first compaction
  h->active_half.store(0);
  h->next_order = 1;
  return Status::ok();
}

}  // namespace

Result<Segment> Segment::create(const SegmentOptions& options) {
  if (options.log_capacity == 0) {
    return Status(ErrorKind::kInvalidArgument, "change log capacity must be positive");
  }
  int fd = memfd_create("xapi-rest-cache", MFD_CLOEXEC);
  if (fd < 0) return errno_status("memfd_create");
  if (ftruncate(fd, static_cast<off_t>(options.bytes)) != 0) {
    Status s = errno_status("ftruncate cache segment");
    close(fd);
    return s;
  }
  void* p = mmap(nullptr, options.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    Status s = errno_status("mmap cache segment");
    close(fd);
    return s;
  }
  Segment seg(fd, static_cast<char*>(p), options.bytes);
  XR_RETURN_IF_ERROR(lay_out(seg.base_, options.bytes, options.log_capacity));
  return seg;
}

Result<Segment> Segment::attach(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return errno_status("fstat cache segment");
  int own = dup(fd);
  if (own < 0) return errno_status("dup cache segment fd");
  auto bytes = static_cast<std::size_t>(st.st_size);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, own, 0);
  if (p == MAP_FAILED) {
    Status s = errno_status("mmap cache segment");
    close(own);
    return s;
  }
  Segment seg(own, static_cast<char*>(p), bytes);
  XR_RETURN_IF_ERROR(validate_segment(seg.base_, bytes));
  return seg;
}

Segment::Segment(Segment&& o) noexcept : fd_(o.fd_), base_(o.base_), size_(o.size_) {
  o.fd_ = -1;
  o.base_ = nullptr;
  o.size_ = 0;
}

Segment& Segment::operator=(Segment&& o) noexcept {
  if (this != &o) {
    release();
    std::swap(fd_, o.fd_);
    std::swap(base_, o.base_);
    std::swap(size_, o.size_);
  }
  return *this;
}

Segment::~Segment() { release(); }

void Segment::release() {
  if (base_ != nullptr) munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
  base_ = nullptr;
  fd_ = -1;
  size_ = 0;
}

uint64_t Segment::resident_bytes() const {
  struct stat st {};
  if (fd_ < 0 || fstat(fd_, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

Status validate_segment(const char* base, std::size_t size) {
  if (size < L::kHeaderBytes) return Status(ErrorKind::kInvalidArgument, "cache segment too small");
  const auto* h = reinterpret_cast<const L::SegmentHeader*>(base);
  if (h->magic != L::kMagic || h->version != L::kVersion) {
    return Status(ErrorKind::kInvalidArgument, "not a cache segment of layout version 1");
  }
  bool ok = h->segment_bytes == size && h->half_bytes >= sizeof(L::HalfHeader) &&
            h->half_off[0] + h->half_bytes <= size && h->half_off[1] + h->half_bytes <= size &&
            h->log_off + uint64_t{h->log_capacity} * sizeof(L::ChangeEntry) <= h->half_off[0] &&
            h->log_capacity > 0;
  if (!ok) return Status(ErrorKind::kInvalidArgument, "cache segment layout is inconsistent");
  return Status::ok();
}

}  // namespace xr::cache

// Segment: the shared memory of the object cache (a memfd mapped MAP_SHARED), created and
// laid out by the master before fork and inherited by the poller and the workers.
// Creation is not thread-safe; the mapping itself may be used by any thread. Never blocks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "cache/layout.h"

namespace xr::cache {

struct SegmentOptions {
  uint64_t bytes = 256ull << 20;   // total size of the segment (the configured cache size)
  uint32_t log_capacity = 16384;   // change-log entries (a power of two is not required)
};

class Segment {
 public:
  // Creates, sizes, maps and lays out a new segment (memfd_create + ftruncate + mmap).
  static Result<Segment> create(const SegmentOptions& options);
  // Maps an existing, laid-out segment from its fd (for tools and tests); takes a dup.
  static Result<Segment> attach(int fd);

  Segment() = default;
  Segment(Segment&& other) noexcept;
  Segment& operator=(Segment&& other) noexcept;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  char* base() const { return base_; }
  std::size_t size() const { return size_; }
  int fd() const { return fd_; }
  layout::SegmentHeader* header() const { return reinterpret_cast<layout::SegmentHeader*>(base_); }
  // Bytes of the segment currently backed by memory (resident in the memfd), from fstat.
  uint64_t resident_bytes() const;

 private:
  Segment(int fd, char* base, std::size_t size) : fd_(fd), base_(base), size_(size) {}
  void release();

  int fd_ = -1;
  char* base_ = nullptr;
  std::size_t size_ = 0;
};

// Checks that a mapped region holds a segment of this layout version with sane offsets.
Status validate_segment(const char* base, std::size_t size);

}  // namespace xr::cache

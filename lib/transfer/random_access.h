// RandomAccess: a readable file of known size (a spooled upload), behind an interface so
// that tests check images held in memory. Implementations are read-only and thread-safe.
// Blocking (pread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::transfer {

class RandomAccess {
 public:
  virtual ~RandomAccess() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at `offset`. kInvalidArgument when the file ends before
  // (the upload is truncated), kIo when the OS call fails.
  virtual Status read_at(uint64_t offset, char* buf, size_t n) const = 0;
  // Same, into a string of n bytes.
  Result<std::string> read_string(uint64_t offset, size_t n) const;
};

// A file descriptor (not owned) whose size is taken with fstat at construction.
class FdFile : public RandomAccess {
 public:
  static Result<FdFile> open(int fd);
  uint64_t size() const override { return size_; }
  Status read_at(uint64_t offset, char* buf, size_t n) const override;

 private:
  FdFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

// Bytes in memory (not owned): the unit tests' images.
class MemoryFile : public RandomAccess {
 public:
  explicit MemoryFile(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Status read_at(uint64_t offset, char* buf, size_t n) const override;

 private:
  std::string_view bytes_;
};

}  // namespace xr::transfer

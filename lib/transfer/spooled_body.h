// An upload that nginx wrote to disk (client_body_in_file_only), handed to us by path in a
// FastCGI param. open() validates the path before touching it — absolute, its directory
// inside the configured spool directory once symlinks are resolved, a name of digits as
// nginx makes them, a regular file with one link, not a symlink — opens it, and unlinks
// it at once: the file is gone from the disk whatever happens next (our descriptor keeps
// the data readable until it is closed; nginx's `clean` mode is the second guard).
// Blocking; any thread; move-only RAII.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::transfer {

class SpooledBody {
 public:
  // kInvalidArgument for a path that fails validation (the message never echoes a
  // directory outside the spool), kNotFound when the file is missing, kIo otherwise.
  static Result<SpooledBody> open(std::string_view path, std::string_view spool_dir);

  // An already opened (and unlinked) file of `size` bytes; takes the descriptor.
  static SpooledBody adopt(int fd, uint64_t size) { return SpooledBody(fd, size); }

  SpooledBody(SpooledBody&& o) noexcept : fd_(o.fd_), size_(o.size_) { o.fd_ = -1; }
  SpooledBody& operator=(SpooledBody&&) = delete;
  SpooledBody(const SpooledBody&) = delete;
  ~SpooledBody();

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  SpooledBody(int fd, uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  uint64_t size_;
};

}  // namespace xr::transfer

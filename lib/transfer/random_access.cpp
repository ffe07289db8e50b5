#include "transfer/random_access.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xr::transfer {
namespace {

Status past_end(uint64_t offset, size_t n, uint64_t size) {
  return Status(ErrorKind::kInvalidArgument,
                "the upload ends at byte " + std::to_string(size) + ", before the " +
                    std::to_string(n) + " bytes expected at offset " + std::to_string(offset) +
                    " (truncated upload?)");
}

}  // namespace

Result<std::string> RandomAccess::read_string(uint64_t offset, size_t n) const {
  std::string out(n, '\0');
  XR_RETURN_IF_ERROR(read_at(offset, out.data(), n));
  return out;
}

Result<FdFile> FdFile::open(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Status(ErrorKind::kIo, std::string("fstat upload: ") + std::strerror(errno));
  return FdFile(fd, static_cast<uint64_t>(st.st_size));
}

Status FdFile::read_at(uint64_t offset, char* buf, size_t n) const {
  if (offset > size_ || n > size_ - offset) return past_end(offset, n, size_);
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status(ErrorKind::kIo, std::string("read upload: ") + std::strerror(errno));
    if (got == 0) return past_end(offset, n, offset + done);
    done += static_cast<size_t>(got);
  }
  return Status::ok();
}

Status MemoryFile::read_at(uint64_t offset, char* buf, size_t n) const {
  if (offset > bytes_.size() || n > bytes_.size() - offset)
    return past_end(offset, n, bytes_.size());
  std::memcpy(buf, bytes_.data() + offset, n);
  return Status::ok();
}

}  // namespace xr::transfer

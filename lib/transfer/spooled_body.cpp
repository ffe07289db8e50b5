#include "transfer/spooled_body.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace xr::transfer {
namespace {

Status invalid(std::string why) {
  return Status(ErrorKind::kInvalidArgument, "spooled upload path " + std::move(why));
}

Result<std::string> real_dir(const std::string& dir) {
  std::unique_ptr<char, void (*)(void*)> r(::realpath(dir.c_str(), nullptr), std::free);
  if (!r) return Status(ErrorKind::kIo, "spool directory: " + std::string(std::strerror(errno)));
  return std::string(r.get());
}

}  // namespace

Result<SpooledBody> SpooledBody::open(std::string_view path, std::string_view spool_dir) {
  if (path.empty() || path.front() != '/') return invalid("is not absolute");
  if (path.find('\0') != std::string_view::npos) return invalid("holds a NUL byte");
  size_t slash = path.rfind('/');
  std::string_view name = path.substr(slash + 1);
  if (name.empty() || name.size() > 32 || name.find_first_not_of("0123456789") != std::string_view::npos)
    return invalid("does not name an nginx body file");
  XR_ASSIGN_OR_RETURN(std::string spool, real_dir(std::string(spool_dir)));
  std::string parent = slash == 0 ? "/" : std::string(path.substr(0, slash));
  std::unique_ptr<char, void (*)(void*)> rp(::realpath(parent.c_str(), nullptr), std::free);
  if (!rp) return invalid("has no such directory");
  std::string dir(rp.get());
  if (dir != spool && dir.rfind(spool + "/", 0) != 0) return invalid("is outside the spool directory");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status(ErrorKind::kIo, "spool directory: " + std::string(std::strerror(errno)));
  std::string base(name);
  // O_NONBLOCK: a FIFO planted there must not hang the open (no effect on a file).
  int fd = ::openat(dfd, base.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int open_errno = errno;
  if (fd < 0) {
    ::close(dfd);
    if (open_errno == ENOENT) return Status(ErrorKind::kNotFound, "spooled upload is gone");
    if (open_errno == ELOOP) return invalid("is a symbolic link");
    return Status(ErrorKind::kIo, "spooled upload: " + std::string(std::strerror(open_errno)));
  }
  SpooledBody body(fd, 0);
  struct stat st {};
  Status verdict = Status::ok();
  if (::fstat(fd, &st) != 0)
    verdict = Status(ErrorKind::kIo, "fstat spooled upload");
  else if (!S_ISREG(st.st_mode))
    verdict = invalid("is not a regular file");
  else if (st.st_nlink != 1)
    verdict = invalid("has other links");
  else
    (void)::unlinkat(dfd, base.c_str(), 0);  // nginx's `clean` mode tolerates a gone file
  ::close(dfd);
  if (!verdict.is_ok()) return verdict;
  body.size_ = static_cast<uint64_t>(st.st_size);
  return body;
}

SpooledBody::~SpooledBody() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace xr::transfer

#include "master/listen_socket.h"

#include <fcgiapp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xr::app {

namespace {

bool someone_listens(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return live;
}

}  // namespace

Result<std::unique_ptr<ListenSocket>> ListenSocket::open(const std::string& path, unsigned mode,
                                                         int backlog) {
  if (someone_listens(path)) {
    return Status(ErrorKind::kConflict, "another process is serving on " + path);
  }
  if (FCGX_Init() != 0) return Status(ErrorKind::kInternal, "FCGX_Init failed");
  int fd = FCGX_OpenSocket(path.c_str(), backlog);
  if (fd < 0) {
    return Status(ErrorKind::kIo, "cannot listen on " + path + ": " + std::strerror(errno));
  }
  if (chmod(path.c_str(), mode) != 0) {
    Status s(ErrorKind::kIo, "chmod " + path + ": " + std::strerror(errno));
    close(fd);
    return s;
  }
  struct stat st {};
  stat(path.c_str(), &st);
  return std::unique_ptr<ListenSocket>(new ListenSocket(fd, path, st.st_ino));
}

ListenSocket::~ListenSocket() {
  if (!owner_) return;
  close(fd_);
  struct stat st {};
  // Only remove the path if it is still our socket (not a successor's).
  if (stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) unlink(path_.c_str());
}

}  // namespace xr::app

// The FastCGI unix socket: opened once by the master (kept across reloads), permission
// bits set so nginx's workers can connect, removed on exit if still ours. Master only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace xr::app {

class ListenSocket {
 public:
  // Refuses to take over a socket another live process is serving on.
  static Result<std::unique_ptr<ListenSocket>> open(const std::string& path, unsigned mode,
                                                    int backlog);
  ~ListenSocket();
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // In a child that must not keep the master's cleanup duty.
  void forget_in_child() { owner_ = false; }

 private:
  ListenSocket(int fd, std::string path, ino_t inode) : fd_(fd), path_(std::move(path)), inode_(inode) {}
  int fd_;
  std::string path_;
  ino_t inode_;
  bool owner_ = true;
};

}  // namespace xr::app

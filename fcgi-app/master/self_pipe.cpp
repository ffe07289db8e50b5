#include "master/self_pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace xr::app {

namespace {

constexpr int kSignals[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT};

// The one mutable global of the program: the write end, read by the signal handler.
std::atomic<int> g_write_fd{-1};

void on_signal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  const int fd = g_write_fd.load();
  if (fd >= 0) (void)!write(fd, &byte, 1);
  errno = saved;
}

}  // namespace

SelfPipe::SelfPipe() {
  if (pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) return;
  g_write_fd = fds_[1];
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  for (int s : kSignals) sigaction(s, &sa, nullptr);
}

SelfPipe::~SelfPipe() {
  g_write_fd = -1;
  for (int fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

std::vector<int> SelfPipe::read_signals() {
  std::vector<int> out;
  unsigned char buf[64];
  for (;;) {
    ssize_t n = read(fds_[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

void SelfPipe::release_in_child() {
  for (int s : kSignals) signal(s, SIG_DFL);
  g_write_fd = -1;
  for (int& fd : fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

}  // namespace xr::app

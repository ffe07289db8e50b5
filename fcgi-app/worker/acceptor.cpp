#include "worker/acceptor.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace xr::app {
namespace {

const log::Logger kLog("worker");

// FastCGI 1.0 record types (fastcgi.h).
constexpr unsigned char kBeginRequest = 1;
constexpr unsigned char kParams = 4;
constexpr std::size_t kHeaderBytes = 8;

void set_timeout(int fd, int option, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

}  // namespace

Acceptor::Head Acceptor::parse_head(const unsigned char* data, std::size_t size) {
  std::size_t pos = 0;
  bool begun = false;
  while (pos + kHeaderBytes <= size) {
    const unsigned char* h = data + pos;
    if (h[0] != 1) return Head::kBad;  // FastCGI version 1 only
    const std::size_t content = (std::size_t{h[4]} << 8) | h[5];
    const std::size_t end = pos + kHeaderBytes + content + h[6];
    if (end > kMaxHeadBytes) return Head::kTooLarge;
    if (!begun) {
      if (h[1] != kBeginRequest) return Head::kBad;
      begun = true;
    } else if (h[1] == kBeginRequest) {
      return Head::kBad;
    } else if (h[1] != kParams) {
      return Head::kComplete;  // a record libfcgi judges (stdin, abort) after the parameters
    } else if (content == 0) {
      return end <= size ? Head::kComplete : Head::kIncomplete;
    }
    pos = end;
  }
  return size >= kMaxHeadBytes ? Head::kTooLarge : Head::kIncomplete;
}

Acceptor::Acceptor(int listen_fd, int send_timeout_s)
    : listen_fd_(listen_fd), send_timeout_s_(send_timeout_s), peek_(kMaxHeadBytes) {}

Acceptor::~Acceptor() {
  stop();
  if (thread_.joinable()) thread_.join();
  for (int fd : ready_) close(fd);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void Acceptor::start() {
  // Shared with the role's other processes: a connection another one took is EAGAIN here.
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;  // one process woken per connection
  ev.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { run(); });
}

int Acceptor::next() {
  std::unique_lock lock(mu_);
  ready_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
  if (ready_.empty()) return -1;
  const int fd = ready_.front();
  ready_.pop_front();
  return fd;
}

void Acceptor::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  ready_cv_.notify_all();
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }
}

void Acceptor::run() {
  epoll_event events[64];
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    const int n = epoll_wait(epoll_fd_, events, 64, 100);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
      } else if (fd != wake_fd_ && pending_.count(fd) != 0) {
        examine(fd);
      }
    }
    const Clock::time_point now = Clock::now();
    close_expired(now);
    report(now, timed_out_, "closed ", " FastCGI connection(s) whose request head did not arrive within " +
                                           std::to_string(kHeadTimeout.count()) + " s");
    report(now, too_large_, "refused ", " FastCGI request(s) whose parameters exceed " +
                                            std::to_string(kMaxHeadBytes / 1024) + " KiB");
  }
  for (const auto& [fd, deadline] : pending_) close(fd);
  pending_.clear();
}

void Acceptor::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: another process took it, or none left
    }
    if (pending_.size() >= kMaxPending) {
      close(fd);
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;  // woken again only when more bytes arrive
    ev.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    pending_[fd] = Clock::now() + kHeadTimeout;
    examine(fd);
  }
}

void Acceptor::examine(int fd) {
  // Peeked, not read: libfcgi reads the same bytes once the head is whole.
  const ssize_t n = recv(fd, peek_.data(), peek_.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  Head head = n <= 0 ? Head::kBad : parse_head(peek_.data(), static_cast<std::size_t>(n));
  if (head == Head::kIncomplete) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  pending_.erase(fd);
  if (head == Head::kComplete) {
    hand_over(fd);
    return;
  }
  if (head == Head::kTooLarge) {
    ++too_large_.count;
  }
  close(fd);
}

void Acceptor::report(Clock::time_point now, Refusals& r, const std::string& verb, const std::string& what) {
  if (r.count == 0 || now < r.next_log) return;
  kLog.warn(verb + std::to_string(r.count) + what);
  r.count = 0;
  r.next_log = now + kLogEvery;
}

void Acceptor::close_expired(Clock::time_point now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    ++timed_out_.count;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
    close(it->first);
    it = pending_.erase(it);
  }
}

void Acceptor::hand_over(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  set_timeout(fd, SO_RCVTIMEO, kBodyTimeoutS);
  if (send_timeout_s_ > 0) set_timeout(fd, SO_SNDTIMEO, send_timeout_s_);
  {
    std::lock_guard lock(mu_);
    ready_.push_back(fd);
  }
  ready_cv_.notify_one();
}

void take_connection(FCGX_Request* request, int fd) {
  request->ipcFd = fd;
  // FCGX_Accept_r first finishes "the current request": kept, the connection stays open
  // (it has none: the previous one was finished or freed). The head's flags set it again.
  request->keepConnection = 1;
}

}  // namespace xr::app

#include "worker/acceptor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

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
  for (int fd : inbox_) close(fd);
  for (int fd : {epoll_fd_, wake_fd_, ready_fd_, stop_fd_, serve_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void Acceptor::start() {
  // Shared with the role's other processes: a connection another one took is EAGAIN here.
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  ready_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  serve_fd_ = epoll_create1(EPOLL_CLOEXEC);
  // Exclusive: a new connection wakes one process's epoll that has a thread waiting, not
  // every process. Within the epoll one waiting thread is woken per event.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.fd = listen_fd_;
  epoll_ctl(serve_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.events = EPOLLIN;  // level-triggered: one thread per queued connection, every thread once stopping
  for (int fd : {ready_fd_, stop_fd_}) {
    ev.data.fd = fd;
    epoll_ctl(serve_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  thread_ = std::thread([this] { run(); });
}

int Acceptor::next(bool& accept_first) {
  for (;;) {
    const int ready = take_ready();
    if (ready >= 0) return ready;
    if (ready == -2) return drain_kept();
    if (accept_first) {
      const int fd = accept_one(accept_first);
      if (fd >= 0) return fd;
      if (accept_first) continue;  // accepted one that is not whole yet: try the next
    }
    epoll_event ev;
    const int n = epoll_wait(serve_fd_, &ev, 1, -1);
    if (n < 0 && errno != EINTR) {
      kLog.error(std::string("epoll_wait: ") + std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (n != 1) continue;
    const int fd = on_event(ev.data.fd, accept_first);
    if (fd >= 0) return fd;
  }
}

int Acceptor::on_event(int fd, bool& accept_first) {
  if (fd == ready_fd_ || fd == stop_fd_) return -1;  // take_ready() says what to do
  if (fd == listen_fd_) return accept_one(accept_first);
  accept_first = false;
  return triage(fd, true);
}

int Acceptor::accept_one(bool& accept_first) {
  const int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  accept_first = conn >= 0;
  if (conn >= 0) return triage(conn, false);
  if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED) {
    // Out of descriptors or memory: the socket stays readable, so do not spin on it.
    kLog.warn(std::string("accept: ") + std::strerror(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

int Acceptor::drain_kept() {
  // At most three of the epoll's items are not connections: four events hold one if any
  // connection is readable. The others taken with it are re-armed for the next thread.
  epoll_event events[4];
  for (;;) {
    const int n = epoll_wait(serve_fd_, events, 4, 0);
    int found = -1;
    bool any = false;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        // A connection whose wake-up came to this process (its threads were still waiting
        // when stop() began: the socket's exclusive wake-up went to them and no other
        // process was woken for it). Left in the backlog it would wait, unanswered, for the
        // next connection to wake another process; so it is served here. Only for a while
        // after stop(): a stopping process must not go on taking new connections under load
        // (it has no blocked waiter after stop(), so later wake-ups go to the others).
        if (found < 0 && Clock::now() < drain_accept_until_) {
          bool accepted = false;
          found = accept_one(accepted);
        }
        continue;
      }
      if (fd == ready_fd_ || fd == stop_fd_) continue;
      any = true;
      if (found >= 0) {
        keep(fd);
      } else {
        found = triage(fd, true);
      }
    }
    if (found >= 0 || !any) return found;
  }
}

void Acceptor::keep(int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.fd = fd;
  if (epoll_ctl(serve_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) return;
  if (errno == ENOENT && epoll_ctl(serve_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
  close(fd);
}

int Acceptor::take_ready() {
  std::lock_guard lock(mu_);
  if (!ready_.empty()) {
    const int fd = ready_.front();
    ready_.pop_front();
    std::uint64_t one;
    (void)!read(ready_fd_, &one, sizeof one);  // semaphore: minus one
    return fd;
  }
  return stopping_ ? -2 : -1;
}

int Acceptor::triage(int fd, bool kept) {
  unsigned char peek[kFastPeekBytes];
  ssize_t n = recv(fd, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
  if (kept && n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      keep(fd);  // woken for nothing: watched again
    } else {
      close(fd);  // nginx closed its kept connection (or it failed)
    }
    return -1;
  }
  if (n < 0 && errno == EAGAIN) {
    // Nothing yet: nginx connected and is about to write. A short wait for the first bytes
    // (only for nothing at all: a part of a head goes to the acceptor thread at once).
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kFastWaitMs) == 1) n = recv(fd, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
  }
  if (n > 0 && parse_head(peek, static_cast<std::size_t>(n)) == Head::kComplete) {
    if (!kept) prepare(fd);  // a kept connection has its timeouts
    return fd;
  }
  // Not whole yet (or to refuse): the acceptor thread waits for it, judges and logs it.
  {
    std::lock_guard lock(mu_);
    inbox_.push_back(fd);
  }
  const std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  return -1;
}

void Acceptor::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    drain_accept_until_ = Clock::now() + kDrainAccept;
  }
  const std::uint64_t one = 1;
  // Stays readable: every request thread in epoll_wait wakes and sees stopping_.
  if (stop_fd_ >= 0) (void)!write(stop_fd_, &one, sizeof one);
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
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
      if (fd == wake_fd_) {
        adopt_inbox();
      } else if (pending_.count(fd) != 0) {
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

void Acceptor::adopt_inbox() {
  std::uint64_t n;
  (void)!read(wake_fd_, &n, sizeof n);
  std::deque<int> fds;
  {
    std::lock_guard lock(mu_);
    fds.swap(inbox_);
  }
  for (int fd : fds) {
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

void Acceptor::prepare(int fd) const {
  set_timeout(fd, SO_RCVTIMEO, kBodyTimeoutS);
  if (send_timeout_s_ > 0) set_timeout(fd, SO_SNDTIMEO, send_timeout_s_);
}

void Acceptor::hand_over(int fd) {
  prepare(fd);
  std::lock_guard lock(mu_);
  ready_.push_back(fd);
  const std::uint64_t one = 1;
  (void)!write(ready_fd_, &one, sizeof one);  // wakes a waiting request thread
}

void take_connection(FCGX_Request* request, int fd) {
  request->ipcFd = fd;
  // FCGX_Accept_r first finishes "the current request": kept, the connection stays open
  // (it has none: the previous one was finished or freed). The head's flags set it again.
  request->keepConnection = 1;
}

}  // namespace xr::app

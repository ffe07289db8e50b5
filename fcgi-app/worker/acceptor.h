// Accepts the FastCGI connections of one serving process (issue 17, defect 8) and hands a
// request thread only a connection whose whole request head has arrived: FCGI_BEGIN_REQUEST
// and every FCGI_PARAMS record up to the empty one that ends them. A peer that sends half a
// record header, or stops in the middle of its parameters, holds no request thread and is
// closed after kHeadTimeout; a head larger than kMaxHeadBytes (a 100 MB parameter) is
// refused as soon as a record announces it. Connections handed over block, with a receive
// timeout (the body) and the caller's send timeout.
//
// Paths (issue 14: the hand-off from a thread of its own cost a wake-up and a context
// switch per request):
// - fast: idle request threads wait in one epoll of the process (next()) holding the
//   listening socket and the kept connections; the one woken accepts a connection, or takes
//   a kept one, and when its head is already whole (nginx writes it at once) serves it: one
//   wake-up per request;
// - kept: a connection nginx asked to keep (FCGI_KEEP_CONN, an upstream with keepalive) goes
//   back into that epoll after its request (keep(), EPOLLONESHOT: its next request wakes one
//   thread, no thread is tied to it). It is never closed while idle until the process stops
//   (nginx may be sending a POST on it), then closed by the process's exit;
// - slow: any other head (incomplete, bad or too large, on a new or a kept connection) goes
//   to the acceptor's own thread, which waits for the rest with a deadline, refuses what
//   must be refused, and queues whole ones for the request threads (an eventfd in their
//   epoll says so).
//
// libfcgi then reads the head from the socket without waiting (FCGX_Request::ipcFd set
// before FCGX_Accept_r, see take_connection); libfcgi itself never calls accept().
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcgiapp.h>

namespace xr::app {

class Acceptor {
 public:
  enum class Head { kIncomplete, kComplete, kBad, kTooLarge };
  // How much of a request head `data` (the first bytes of a connection) holds.
  static Head parse_head(const unsigned char* data, std::size_t size);

  // nginx's request line and headers stay under 40 KiB (large_client_header_buffers); a
  // unix socket queues about 64 KiB unread, so a head must be whole well before that.
  static constexpr std::size_t kMaxHeadBytes = 60 * 1024;
  static constexpr auto kHeadTimeout = std::chrono::seconds(5);
  static constexpr int kBodyTimeoutS = 60;
  static constexpr std::size_t kMaxPending = 1024;  // connections whose head is incomplete

  // listen_fd: the role's FastCGI socket, shared with the other processes of the role (it is
  // made non-blocking: whoever accepts first takes the connection).
  Acceptor(int listen_fd, int send_timeout_s);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  void start();

  // A request thread's wait (any thread, many at once): blocks until a connection with a
  // whole head is there and returns it (the caller owns it until keep() or close); -1 once
  // stop() was called and no ready connection (queued, or kept with a request) is left.
  // `accept_first`, the thread's own: set when it last took a new connection, it then tries
  // accept() before waiting (as a plain accept loop: a queued connection without a wake-up,
  // while new connections come; the listening socket's level-triggered event would also wake
  // a second thread for each one); cleared when nothing was queued.
  int next(bool& accept_first);
  // Gives back a connection whose request ended well and that nginx asked to keep: its next
  // request is served by whichever thread is idle. Closes it when it cannot be watched.
  void keep(int fd);
  // Stops accepting; connections still incomplete are closed, ready ones are still handed
  // out, and so are kept ones whose next request is already there.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;

  // A request thread's peek: the connections nginx makes carry a head of a few KiB.
  static constexpr std::size_t kFastPeekBytes = 8 * 1024;
  // How long a request thread waits for the first bytes of a connection it accepted: nginx
  // writes the head right after connecting, the accept may just come first.
  static constexpr int kFastWaitMs = 10;

  // A ready connection (-1: none), taken under mu_; -2 when stopping and none is left.
  int take_ready();
  // A connection the request thread accepted (kept: one it took from the epoll): returned
  // when its head is whole, else given to the acceptor thread or closed (-1).
  int triage(int fd, bool kept);
  // One event of serve_fd_: a connection to serve, or -1.
  int on_event(int fd, bool& accept_first);
  // A new connection from the listening socket: to serve, or -1 (none, or not whole yet).
  int accept_one(bool& accept_first);
  // After stop(): a kept connection whose request is already there, or a new one whose
  // wake-up this process took (until drain_accept_until_), or -1.
  int drain_kept();
  // How long after stop() a connection still queued on the listening socket is accepted
  // and served by this process (see drain_kept()).
  static constexpr auto kDrainAccept = std::chrono::seconds(1);

  void run();
  void adopt_inbox();
  void examine(int fd);
  void close_expired(Clock::time_point now);
  void prepare(int fd) const;  // blocking reads and writes with their timeouts
  void hand_over(int fd);
  // Refused connections are logged as counts, at most once per kLogEvery each kind (a
  // flood of them must not flood the log).
  struct Refusals {
    unsigned count = 0;
    Clock::time_point next_log{};
  };
  static constexpr auto kLogEvery = std::chrono::seconds(10);
  void report(Clock::time_point now, Refusals& r, const std::string& verb, const std::string& what);

  int listen_fd_;
  int send_timeout_s_;
  int epoll_fd_ = -1;        // the acceptor thread's: wake_fd_ and the incomplete heads
  int wake_fd_ = -1;         // eventfd: stop() or a new incomplete head wakes the acceptor thread
  int ready_fd_ = -1;  // semaphore eventfd: its count is ready_.size() (changed under mu_)
  int stop_fd_ = -1;   // eventfd, readable once stopping: wakes every request thread
  // The request threads' epoll: the listening socket (exclusive across the processes), the
  // ready and stop eventfds, the kept connections (one-shot).
  int serve_fd_ = -1;
  std::thread thread_;
  std::unordered_map<int, Clock::time_point> pending_;  // fd -> deadline (accepting thread only)
  std::vector<unsigned char> peek_;                     // accepting thread only
  Refusals timed_out_, too_large_;                      // accepting thread only
  std::mutex mu_;
  std::deque<int> ready_;  // guarded by mu_: whole heads the acceptor thread waited for
  std::deque<int> inbox_;  // guarded by mu_: connections a request thread could not serve at once
  bool stopping_ = false;  // guarded by mu_
  Clock::time_point drain_accept_until_{};  // set under mu_ by stop(), read after it
};

// Makes libfcgi take `fd` as the request's connection instead of accepting one: FCGX_Accept_r
// then reads the head from it. The request must have been initialised with listen socket -1
// (libfcgi never accepts) and finished or freed before.
void take_connection(FCGX_Request* request, int fd);

}  // namespace xr::app

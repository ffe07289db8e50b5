// Accepts the FastCGI connections of one serving process on a thread of its own (issue 17,
// defect 8) and hands a request thread only a connection whose whole request head has
// arrived: FCGI_BEGIN_REQUEST and every FCGI_PARAMS record up to the empty one that ends
// them. A peer that sends half a record header, or stops in the middle of its parameters,
// holds no request thread and is closed after kHeadTimeout; a head larger than
// kMaxHeadBytes (a 100 MB parameter) is refused as soon as a record announces it. Connections handed over block,
// with a receive timeout (the body) and the caller's send timeout.
//
// libfcgi then reads the head from the socket without waiting (FCGX_Request::ipcFd set
// before FCGX_Accept_r, see take_connection); the request threads never call accept().
#pragma once

#include <chrono>
#include <condition_variable>
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
  // Blocks until a connection is ready and returns it (the caller owns it); -1 once stop()
  // was called and no ready connection is left.
  int next();
  // Stops accepting; connections still incomplete are closed, ready ones are still handed out.
  void stop();

 private:
  using Clock = std::chrono::steady_clock;

  void run();
  void accept_all();
  void examine(int fd);
  void close_expired(Clock::time_point now);
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
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() wakes the accepting thread
  std::thread thread_;
  std::unordered_map<int, Clock::time_point> pending_;  // fd -> deadline (accepting thread only)
  std::vector<unsigned char> peek_;                     // accepting thread only
  Refusals timed_out_, too_large_;                      // accepting thread only
  std::mutex mu_;
  std::condition_variable ready_cv_;
  std::deque<int> ready_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
};

// Makes libfcgi take `fd` as the request's connection instead of accepting one: FCGX_Accept_r
// then reads the head from it. The request must have been initialised with listen socket -1
// (libfcgi never accepts) and finished or freed before.
void take_connection(FCGX_Request* request, int fd);

}  // namespace xr::app

// The watchers of tests/bench/stream_bench.py: COUNT HTTP connections to one watch URL, read
// by one epoll thread in C++, so that the benchmark's own 1,000 readers take the machine what a
// lean client takes (Python's reader thread took 0.08-0.13 of a core) and their CPU is
// measured apart from the server's (the benchmark reads this process's /proc stat).
//
// Usage: watch_readers PORT PATH COUNT, the token on stdin's first line (argv is visible in ps).
// stdout: "ready" once every head is a 200 (else "error <why>", exit 1). Then, after "stop" or
// EOF on stdin: one line "<watcher> <change> <arrival>" per line received naming a rename
// "bench-<change>" (arrival: CLOCK_MONOTONIC seconds, Python's time.monotonic()), then
// "end <bytes> <closed>" (closed: streams the server ended meanwhile).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Arrival {
  uint32_t watcher;
  uint32_t change;
  double at;
};

struct Watcher {
  int fd = -1;
  bool head_done = false;
  std::string pending;  // a head not complete yet, or the start of a line not complete yet
};

double monotonic() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

[[noreturn]] void fail(const std::string& why) {
  std::printf("error %s\n", why.c_str());
  std::fflush(stdout);
  std::exit(1);
}

int connect_to(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    fail(std::string("connect: ") + std::strerror(errno));
  }
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) fail(std::string("send: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

class Readers {
 public:
  Readers(uint16_t port, const std::string& path, const std::string& token, size_t count) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=" + token +
                                "\r\n\r\n";
    watchers_.resize(count);
    for (size_t i = 0; i < count; ++i) {
      Watcher& w = watchers_[i];
      w.fd = connect_to(port);
      send_all(w.fd, request);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<uint32_t>(i);
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, w.fd, &ev) != 0) fail(std::string("epoll_ctl: ") + std::strerror(errno));
    }
    ev_stdin_.events = EPOLLIN;
    ev_stdin_.data.u32 = kStdin;
  }

  ~Readers() {
    for (const Watcher& w : watchers_) {
      if (w.fd >= 0) close(w.fd);
    }
    if (epoll_ >= 0) close(epoll_);
  }
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Every head a 200, within 60 s.
  void await_heads() {
    size_t left = watchers_.size();
    const double deadline = monotonic() + 60;
    while (left > 0) {
      if (monotonic() > deadline) fail(std::to_string(left) + " watch heads missing after 60 s");
      left -= poll_once(500);
    }
  }

  // Reads until "stop" or EOF on stdin.
  void run() {
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, 0, &ev_stdin_) != 0) fail("epoll_ctl stdin");
    while (!stop_) poll_once(1000);
  }

  void report() const {
    std::string out;
    out.reserve(arrivals_.size() * 24 + 64);
    char line[80];
    for (const Arrival& a : arrivals_) {
      const int n = std::snprintf(line, sizeof line, "%u %u %.6f\n", a.watcher, a.change, a.at);
      out.append(line, static_cast<size_t>(n));
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::printf("end %llu %zu\n", static_cast<unsigned long long>(bytes_), closed_);
    std::fflush(stdout);
  }

 private:
  static constexpr uint32_t kStdin = 0xffffffff;

  // One epoll_wait and what it reports; returns how many heads it completed.
  size_t poll_once(int timeout_ms) {
    epoll_event events[512];
    const int n = epoll_wait(epoll_, events, 512, timeout_ms);
    size_t heads = 0;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u32 == kStdin) {
        read_stdin();
        continue;
      }
      heads += read_watcher(events[i].data.u32);
    }
    return heads;
  }

  void read_stdin() {
    char buf[256];
    const ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0 || std::string_view(buf, static_cast<size_t>(n)).find("stop") != std::string_view::npos) stop_ = true;
  }

  size_t read_watcher(uint32_t index) {
    Watcher& w = watchers_[index];
    const bool had_head = w.head_done;
    char buf[65536];
    const ssize_t n = recv(w.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      if (!w.head_done) fail("a watch closed before its head");
      epoll_ctl(epoll_, EPOLL_CTL_DEL, w.fd, nullptr);
      close(w.fd);
      w.fd = -1;
      ++closed_;
      return 0;
    }
    if (n < 0) return 0;
    const double now = monotonic();
    bytes_ += static_cast<uint64_t>(n);
    w.pending.append(buf, static_cast<size_t>(n));
    if (!w.head_done) {
      const size_t end = w.pending.find("\r\n\r\n");
      if (end == std::string::npos) return 0;
      const std::string_view status(w.pending.data(), w.pending.find("\r\n"));
      if (status.find(" 200 ") == std::string_view::npos) fail("watch refused: " + std::string(status));
      w.head_done = true;
      w.pending.erase(0, end + 4);
    }
    scan(index, now);
    return had_head ? 0 : 1;
  }

  // Every complete line of `pending` (chunk-size lines included: they name no change).
  void scan(uint32_t index, double now) {
    Watcher& w = watchers_[index];
    const size_t last = w.pending.rfind('\n');
    if (last == std::string::npos) return;
    std::string_view text(w.pending.data(), last + 1);
    constexpr std::string_view kMark = "bench-";
    for (size_t at = text.find(kMark); at != std::string_view::npos; at = text.find(kMark, at + 1)) {
      size_t p = at + kMark.size();
      uint32_t change = 0;
      const size_t digits = p;
      while (p < text.size() && text[p] >= '0' && text[p] <= '9') {
        change = change * 10 + static_cast<uint32_t>(text[p++] - '0');
      }
      if (p > digits && p < text.size() && text[p] == '"') arrivals_.push_back({index, change, now});
    }
    w.pending.erase(0, last + 1);
  }

  int epoll_ = -1;
  epoll_event ev_stdin_{};
  std::vector<Watcher> watchers_;
  std::vector<Arrival> arrivals_;
  uint64_t bytes_ = 0;
  size_t closed_ = 0;
  bool stop_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PORT PATH COUNT (token on stdin)\n", argv[0]);
    return 2;
  }
  std::string token;  // byte by byte: what follows the first line is the loop's ("stop")
  char c;
  while (read(0, &c, 1) == 1 && c != '\n') token.push_back(c);
  Readers readers(static_cast<uint16_t>(std::atoi(argv[1])), argv[2], token, std::strtoul(argv[3], nullptr, 10));
  readers.await_heads();
  std::printf("ready\n");
  std::fflush(stdout);
  readers.run();
  readers.report();
  return 0;
}

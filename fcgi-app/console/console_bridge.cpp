#include "console/console_bridge.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "console/websocket.h"

namespace xr::app {

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxFrame = 1 << 20;  // noVNC sends small frames; anything larger is refused (1009)

using Clock = std::chrono::steady_clock;

// A byte queue written from the front.
struct Outbox {
  std::string data;
  size_t off = 0;
  size_t size() const { return data.size() - off; }
  const char* front() const { return data.data() + off; }
  void consume(size_t n) {
    off += n;
    if (off == data.size()) data.clear(), off = 0;
    else if (off > kBufferBound) data.erase(0, off), off = 0;
  }
};

class Bridge {
 public:
  Bridge(int client, xapi::ConsoleTunnel& tunnel, int stop_fd) : client_(client), tunnel_(tunnel), stop_fd_(stop_fd) {}
  BridgeTotals run(std::string early);

 private:
  void read_console();
  void read_client();
  void on_frame(ws::Frame& f);
  void flush();
  void close_with(uint16_t code, const char* reason, const char* by);
  bool finished() const { return closing_ && to_client_.size() == 0; }

  int client_;
  xapi::ConsoleTunnel& tunnel_;
  int stop_fd_;
  ws::FrameDecoder decoder_{kMaxFrame};
  Outbox to_client_;  // framed
  Outbox to_console_;
  bool closing_ = false;  // a close frame is queued: nothing more is read or queued
  bool dead_ = false;     // a socket failed: stop now
  Clock::time_point close_deadline_{};
  BridgeTotals totals_;
};

void Bridge::close_with(uint16_t code, const char* reason, const char* by) {
  if (closing_) return;
  ws::encode_frame(ws::kClose, ws::close_payload(code, reason), &to_client_.data);
  closing_ = true;
  close_deadline_ = Clock::now() + std::chrono::seconds(2);
  totals_.ended_by = by;
}

void Bridge::read_console() {
  char buf[kChunk];
  while (!closing_ && to_client_.size() < kBufferBound) {
    auto n = tunnel_.read(buf, sizeof buf);
    if (!n.is_ok()) return close_with(1011, "console connection failed", "error");
    if (*n < 0) return;
    if (*n == 0) return close_with(1000, "console closed", "console");
    totals_.from_console += static_cast<uint64_t>(*n);
    ws::encode_frame(ws::kBinary, std::string_view(buf, static_cast<size_t>(*n)), &to_client_.data);
  }
}

void Bridge::on_frame(ws::Frame& f) {
  switch (f.opcode) {
    case ws::kClose: {
      // Echo the code (RFC 6455 §5.5.1); 1005 (none given) is never sent back.
      const uint16_t code = f.payload.size() >= 2
                                ? static_cast<uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8) |
                                                        static_cast<unsigned char>(f.payload[1]))
                                : 1000;
      return close_with(code, "", "client");
    }
    case ws::kPing:
      ws::encode_frame(ws::kPong, f.payload, &to_client_.data);
      return;
    case ws::kPong:
      return;
    default:  // binary, text, continuation: RFB bytes (message boundaries mean nothing here)
      to_console_.data.append(f.payload);
  }
}

void Bridge::read_client() {
  char buf[kChunk];
  while (!closing_ && to_console_.size() < kBufferBound) {
    const ssize_t n = ::read(client_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) dead_ = true, totals_.ended_by = "client";
      return;
    }
    if (n == 0) {  // nginx or the browser went away without a close frame
      dead_ = true;
      totals_.ended_by = "client";
      return;
    }
    decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
    ws::Frame f;
    for (;;) {
      auto got = decoder_.next(&f);
      if (!got.is_ok()) {
        const bool too_big = got.status().kind() == ErrorKind::kResourceExhausted;
        return close_with(too_big ? 1009 : 1002, too_big ? "frame too large" : "protocol error", "error");
      }
      if (!*got) break;
      on_frame(f);
      if (closing_) return;
    }
  }
}

void Bridge::flush() {
  while (to_client_.size() > 0) {
    const ssize_t n = ::write(client_, to_client_.front(), to_client_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) dead_ = true, totals_.ended_by = "client";
      break;
    }
    to_client_.consume(static_cast<size_t>(n));
  }
  while (!closing_ && to_console_.size() > 0) {
    auto n = tunnel_.write(to_console_.front(), to_console_.size());
    if (!n.is_ok()) return close_with(1011, "console connection failed", "error");
    if (*n == 0) break;
    totals_.to_console += *n;
    to_console_.consume(*n);
  }
}

BridgeTotals Bridge::run(std::string early) {
  fcntl(client_, F_SETFL, fcntl(client_, F_GETFL) | O_NONBLOCK);
  if (!early.empty()) {
    totals_.from_console += early.size();
    ws::encode_frame(ws::kBinary, early, &to_client_.data);
  }
  while (!dead_ && !finished()) {
    read_console();  // first: TLS may hold bytes poll() cannot see
    read_client();
    flush();
    if (dead_ || finished()) break;
    if (closing_ && Clock::now() > close_deadline_) break;  // a client that stopped reading
    pollfd p[3] = {{client_, 0, 0}, {tunnel_.fd(), 0, 0}, {stop_fd_, POLLIN, 0}};
    if (!closing_ && to_console_.size() < kBufferBound) p[0].events |= POLLIN;
    if (to_client_.size() > 0) p[0].events |= POLLOUT;
    if (!closing_ && to_client_.size() < kBufferBound) p[1].events |= POLLIN;
    if (!closing_ && to_console_.size() > 0) p[1].events |= POLLOUT;
    for (int i = 0; i < 2; ++i) {
      if (p[i].events == 0) p[i].fd = -1;  // a hung-up side we do not wait on must not spin poll()
    }
    const int n = poll(p, 3, closing_ ? 100 : 1000);
    if (n < 0 && errno != EINTR) break;
    if ((p[0].revents & (POLLERR | POLLNVAL)) != 0) dead_ = true, totals_.ended_by = "client";
    if ((p[1].revents & (POLLERR | POLLNVAL)) != 0) close_with(1011, "console connection failed", "error");
    if ((p[2].revents & POLLIN) != 0) close_with(1001, "server stopping", "stop");
  }
  return totals_;
}

}  // namespace

BridgeTotals run_bridge(int client_fd, xapi::ConsoleTunnel& tunnel, std::string early, int stop_fd) {
  Bridge b(client_fd, tunnel, stop_fd);
  return b.run(std::move(early));
}

}  // namespace xr::app

#include "transfer/piped_download.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace xr::app {
namespace {

constexpr size_t kPiece = 1 << 20;
constexpr size_t kPieces = 4;

// Bounded hand-over of pieces between the receiving thread and the sending one.
class Pipe {
 public:
  Pipe() {
    for (size_t i = 0; i < kPieces + 1; ++i) {
      spare_.emplace_back();
      spare_.back().reserve(kPiece);
    }
  }

  // Receiving thread: copies `chunk` into pieces; false once the sender stopped.
  bool put(std::string_view chunk) {
    while (!chunk.empty()) {
      if (!have_current_ && !take_spare()) return false;
      const size_t n = std::min(chunk.size(), kPiece - current_.size());
      current_.append(chunk.data(), n);
      chunk.remove_prefix(n);
      if (current_.size() == kPiece && !hand_over()) return false;
    }
    return !stopped_.load();
  }

  // Receiving thread: the last piece and the end.
  void close() {
    if (have_current_ && !current_.empty()) (void)hand_over();
    std::lock_guard lock(m_);
    closed_ = true;
    cv_.notify_all();
  }

  // Sending thread: the next piece into `out` (its old buffer goes back); false at the end.
  bool take(std::string& out) {
    std::unique_lock lock(m_);
    if (lent_) {
      out.clear();
      spare_.push_back(std::move(out));
      lent_ = false;
      cv_.notify_all();
    }
    cv_.wait(lock, [&] { return !full_.empty() || closed_; });
    if (full_.empty()) return false;
    out = std::move(full_.front());
    full_.pop_front();
    lent_ = true;
    cv_.notify_all();
    return true;
  }

  // Sending thread: no more pieces wanted; the receiver's next put() fails.
  void stop() {
    std::lock_guard lock(m_);
    stopped_ = true;
    cv_.notify_all();
  }

  const std::atomic<bool>& stopped() const { return stopped_; }

 private:
  bool take_spare() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return !spare_.empty() || stopped_.load(); });
    if (stopped_.load()) return false;
    current_ = std::move(spare_.back());
    spare_.pop_back();
    have_current_ = true;
    return true;
  }

  bool hand_over() {
    std::lock_guard lock(m_);
    if (stopped_.load()) return false;
    full_.push_back(std::move(current_));
    current_ = std::string();
    have_current_ = false;
    cv_.notify_all();
    return true;
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> full_;
  std::vector<std::string> spare_;
  std::string current_;  // receiving thread only
  bool have_current_ = false;
  bool closed_ = false;
  bool lent_ = false;  // the sender holds a piece
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<xapi::TransferResult> piped_download(xapi::Session& session, std::string_view path,
                                            const xapi::Query& query, const xapi::BodySink& sink,
                                            xapi::TransferOptions options) {
  Pipe pipe;
  options.cancel = &pipe.stopped();  // a stopped sender also ends a receive waiting on XAPI
  std::optional<Result<xapi::TransferResult>> received;
  std::thread receiver([&] {
    received = xapi::download(
        session, path, query,
        [&pipe](std::string_view chunk) {
          if (!pipe.put(chunk)) return Status(ErrorKind::kCancelled, "the sender stopped");
          return Status::ok();
        },
        options);
    pipe.close();
  });
  Status sent = Status::ok();
  std::string piece;
  while (pipe.take(piece)) {
    sent = sink(piece);
    if (!sent.is_ok()) {
      pipe.stop();
      break;
    }
  }
  receiver.join();
  if (!sent.is_ok()) return sent;
  return std::move(*received);
}

}  // namespace xr::app

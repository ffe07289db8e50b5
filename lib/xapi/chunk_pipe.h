// ChunkPipe: a bounded single-producer/single-consumer queue of byte chunks, and a
// RapidJSON input stream reading from it. Lets a pull parser (RapidJSON) run on a helper
// thread while the network thread pushes bytes, so a JSON body is never held whole.
// push() blocks while the pipe is full (backpressure); pop() blocks until data or end.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace xr::xapi {

class ChunkPipe {
 public:
  explicit ChunkPipe(size_t max_bytes = size_t{4} << 20) : max_bytes_(max_bytes) {}
  // Producer. False when the consumer has stopped reading (the data is dropped).
  bool push(std::string_view chunk);
  void close_producer();  // end of data
  // Consumer. False at end of data.
  bool pop(std::string* out);
  void close_consumer();  // stop reading; unblocks push()

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t bytes_ = 0;
  size_t max_bytes_;
  bool producer_done_ = false;
  bool consumer_done_ = false;
};

// RapidJSON read-only stream concept over a ChunkPipe.
class ChunkPipeStream {
 public:
  using Ch = char;
  explicit ChunkPipeStream(ChunkPipe* pipe) : pipe_(pipe) {}
  Ch Peek() { return pos_ < cur_.size() || refill() ? cur_[pos_] : '\0'; }
  Ch Take() {
    if (pos_ >= cur_.size() && !refill()) return '\0';
    ++tell_;
    return cur_[pos_++];
  }
  size_t Tell() const { return tell_; }
  // Write side of the concept: unused (no in-situ parsing).
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch*) { return 0; }

 private:
  bool refill();
  ChunkPipe* pipe_;
  std::string cur_;
  size_t pos_ = 0;
  size_t tell_ = 0;
};

}  // namespace xr::xapi

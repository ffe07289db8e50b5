#include "xapi/chunk_pipe.h"

namespace xr::xapi {

bool ChunkPipe::push(std::string_view chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return consumer_done_ || bytes_ < max_bytes_; });
  if (consumer_done_) return false;
  const bool was_empty = chunks_.empty();
  chunks_.emplace_back(chunk);
  bytes_ += chunk.size();
  if (was_empty) cv_.notify_all();  // only an empty pipe has a waiting consumer
  return true;
}

void ChunkPipe::close_producer() {
  std::lock_guard<std::mutex> lock(mu_);
  producer_done_ = true;
  cv_.notify_all();
}

bool ChunkPipe::pop(std::string* out) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !chunks_.empty() || producer_done_; });
  if (chunks_.empty()) return false;
  out->swap(chunks_.front());
  chunks_.pop_front();
  const bool was_above_half = bytes_ > max_bytes_ / 2;
  bytes_ -= out->size();
  // A producer waits only on a full pipe: wake it when the pipe drains to half, once,
  // rather than for every chunk (every wait ends there at the latest, on the way to empty).
  if (was_above_half && bytes_ <= max_bytes_ / 2) cv_.notify_all();
  return true;
}

void ChunkPipe::close_consumer() {
  std::lock_guard<std::mutex> lock(mu_);
  consumer_done_ = true;
  chunks_.clear();
  bytes_ = 0;
  cv_.notify_all();
}

bool ChunkPipeStream::refill() {
  pos_ = 0;
  cur_.clear();
  while (pipe_->pop(&cur_)) {
    if (!cur_.empty()) return true;
  }
  return false;
}

}  // namespace xr::xapi

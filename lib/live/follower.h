// Following the object cache's change log (lib/cache/change_log.h) from another process.
// The poller applies each XAPI batch between two increments of batch_seq and makes an
// object's record visible before its change entry: a reader that only moves at batch
// boundaries (batch_seq even and unchanged around its reads) sees whole batches, and a
// snapshot taken at such a point is exactly the state at that sequence number.
// Single-threaded objects; never blocks (waking up is the caller's: cache::Reader::
// wait_for_change, or the stream role's waker thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "cache/reader.h"
#include "live/revision.h"

namespace xr::live {

// The end of the log when no batch is being applied (nullopt while one is).
std::optional<uint64_t> stable_end(const cache::Reader& reader);

// Runs fn() (reads of the cache) until it ran entirely between two stable points with no
// change in between; returns that point's sequence number. kTimeout after `attempts` runs
// that raced a writer (the caller may accept a looser snapshot).
template <typename Fn>
Result<uint64_t> at_stable_point(const cache::Reader& reader, Fn&& fn, int attempts = 50);

// A cursor on the change log that moves batch by batch.
class Follower {
 public:
  Follower(const cache::Reader& reader, uint64_t position) : reader_(reader), position_(position) {}
  uint64_t position() const { return position_; }
  void reset(uint64_t position) { position_ = position; }
  // Appends the changes after the cursor up to the current stable end (none while a batch
  // is being applied) and moves the cursor there. kResourceExhausted: the ring was
  // overwritten past the cursor (the caller resynchronises from a snapshot).
  Status next(std::vector<cache::Change>* out);

 private:
  const cache::Reader& reader_;
  uint64_t position_;
};

// The distinct objects changed after `after` up to `until`, each once with its last change,
// in order of those changes. kGone when the log no longer reaches back to `after`.
Status changed_between(const cache::Reader& reader, uint64_t after, uint64_t until,
                       std::vector<cache::Change>* out);

// The revision of the cache at `seq`.
inline Revision revision_at(const cache::Reader& reader, uint64_t seq) { return {reader.instance(), seq}; }

// Checks a client's revision against this cache: kGone (another instance: another node
// sharing the store, or an earlier run; or older than the log reaches) or kInvalidArgument (ahead of the log); else its sequence number.
Result<uint64_t> resume_point(const cache::Reader& reader, Revision r, uint64_t now);

// --- implementation ---

template <typename Fn>
Result<uint64_t> at_stable_point(const cache::Reader& reader, Fn&& fn, int attempts) {
  for (int i = 0; i < attempts; ++i) {
    const uint64_t b1 = reader.batch_seq();
    const uint64_t p1 = reader.last_change_seq();
    if (b1 % 2 != 0) {
      reader.wait_for_change(reader.change_word(), 5);
      continue;
    }
    fn();
    if (reader.batch_seq() == b1 && reader.last_change_seq() == p1) return p1;
  }
  return Status(ErrorKind::kTimeout, "the cache kept changing during a snapshot");
}

}  // namespace xr::live

// cache::Reader: read access to the object cache for the HTTP workers (any number of threads
// and processes at once). Never blocks and holds nothing between calls; a read that races
// a compaction is rolled back and replayed on the new half (layout.h). wait_for_change is
// the only blocking call (futex, with a timeout).
//
// Streaming a list (the worker's list endpoint), 64 KiB at a time:
//   cache::ScanCursor cur;  cur.limit = limit;
//   std::string buf;
//   while (!cur.done) {
//     XR_RETURN_IF_ERROR(reader.scan("vms", cur, buf, 64 * 1024,
//         [&](const cache::ObjectView& v, std::string& out) {
//           if (!filter.matches(v)) return false;        // v is a JsonView
//           if (cur.emitted > 0) out.push_back(',');
//           v.append_fields(fields, out);                // memcpy of ready-made pieces
//           return true;
//         }));
//     write(buf); buf.clear();                           // nothing is held here
//   }
#pragma once

#include <sched.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cache/change_log.h"
#include "cache/half_index.h"
#include "cache/object_view.h"
#include "cache/pool_status.h"
#include "cache/segment.h"

namespace xr::cache {

// Segment-wide figures for health reporting (any reader, a relaxed snapshot).
struct CacheStats {
  uint64_t segment_bytes = 0;
  uint64_t half_bytes = 0;     // capacity available to objects (one half)
  uint64_t used_bytes = 0;     // active half's bump pointer (live + garbage + tables)
  uint64_t live_bytes = 0;     // bytes of live records
  uint64_t compactions = 0;
  uint64_t full_errors = 0;    // objects that could not be stored because the cache was full
  uint64_t last_change_seq = 0;
};

// Position of a scan across calls: insertion order key of the last object handed out.
// Resumable across compactions; copyable; holds no reference into the segment.
struct ScanCursor {
  uint64_t after_order = 0;
  uint64_t emitted = 0;              // objects for which fn returned true
  uint64_t limit = UINT64_MAX;       // stop after this many emitted objects
  bool done = false;
  // Optional: the fields fn projects. The scan then prefetches those pieces of the objects
  // a few positions ahead (a list is bound by memory latency, not by instructions).
  const FieldList* prefetch = nullptr;
};

class Reader {
 public:
  // REQUIRES: a laid-out segment mapped in this process that outlives the reader.
  explicit Reader(const Segment& segment) : Reader(segment.base(), segment.size()) {}
  Reader(const char* base, std::size_t size);

  std::optional<uint16_t> collection(std::string_view name) const;
  std::string collection_name(uint16_t index) const;
  std::vector<std::string> collections() const;
  // Objects currently in the collection (0 if unknown).
  std::size_t count(std::string_view collection) const;

  // Finds the object and calls fn(const ObjectView&, std::string& out) once on an intact
  // version of it. fn may only append to out (it is cut back if the call is replayed).
  // Returns false if there is no such object. Error: kTimeout if the writer kept compacting.
  template <typename Fn>
  Result<bool> visit(std::string_view collection, std::string_view id, std::string& out, Fn&& fn) const;
  // Appends the object's JSON text; false if absent.
  bool get_json(std::string_view collection, std::string_view id, std::string& out) const;

  // Calls fn(const ObjectView&, std::string& out) -> bool ("emitted") on the objects of the
  // collection in insertion order, after cursor, until out.size() >= max_bytes (flush out,
  // then call again with the same cursor), cursor.limit emitted objects, or the end
  // (cursor.done). Each call of fn sees an intact object; a replayed call's output is cut
  // back, so fn must only append to out; fn may set cursor.done to end the scan after its
  // object. Unknown collection: done at once, nothing emitted.
  template <typename Fn>
  Status scan(std::string_view collection, ScanCursor& cursor, std::string& out,
              std::size_t max_bytes, Fn&& fn) const;

  std::vector<PoolStatus> pool_statuses() const;

  uint64_t last_change_seq() const { return header_->last_change_seq.load(std::memory_order_acquire); }
  // Random per segment (set at creation): with last_change_seq, a version of the whole cache
  // that a restarted service (new segment, sequence from 0) cannot repeat by chance.
  uint32_t instance() const { return header_->instance; }
  // Changes after `after`, at most max; kResourceExhausted if the reader fell behind.
  Status read_changes(uint64_t after, std::size_t max, std::vector<Change>* out) const;
  // Odd while the writer applies a batch (see live/follower.h).
  uint64_t batch_seq() const { return header_->batch_seq.load(std::memory_order_acquire); }
  uint32_t change_word() const { return header_->change_futex.load(std::memory_order_acquire); }
  uint32_t wait_for_change(uint32_t seen, int timeout_ms) const;
  // Pool status updates (a futex word bumped after each slot write): the current word, and
  // a wait while it still equals `seen`, at most timeout_ms. Returns the word.
  uint32_t status_word() const { return header_->status_futex.load(std::memory_order_acquire); }
  uint32_t wait_for_status(uint32_t seen, int timeout_ms) const;
  uint64_t full_errors() const { return header_->full_errors.load(std::memory_order_relaxed); }
  CacheStats stats() const;

 private:
  struct Snap {
    Half half;
    uint32_t active = 0;
    uint64_t gen = 0;
  };
  static constexpr int kMaxAttempts = 100000;
  bool begin(Snap* s) const;
  bool still_valid(const Snap& s) const {
    std::atomic_thread_fence(std::memory_order_acquire);
    return header_->half_gen[s.active].load(std::memory_order_relaxed) == s.gen;
  }
  static void back_off(int attempt) {
    if (attempt > 16) sched_yield();
  }
  // Records are visited in array order but lie far apart: fetching the header and member
  // table a few objects ahead hides most of the memory latency of a scan.
  // Then, closer, the pieces the hinted member entries point at, and the id.
  static constexpr uint32_t kPrefetchAhead = 16;
  static constexpr uint32_t kPiecesAhead = 8;
  static void prefetch(const Half& h, uint64_t off) {
    if (off + 384 > h.capacity) return;
    for (int l = 0; l < 6; ++l) __builtin_prefetch(h.base + off + 64 * l);
  }
  static void prefetch_pieces(const Half& h, uint64_t off, const FieldList& fields);
  static Status busy() { return Status(ErrorKind::kTimeout, "cache: writer kept compacting"); }
  // First array position whose order is > after (binary search; torn data gives garbage,
  // caught by validation).
  static uint32_t first_after(const layout::ArrayEntry* e, uint32_t len, uint64_t after);

  const char* base_;
  const layout::SegmentHeader* header_;
};

template <typename Fn>
Result<bool> Reader::visit(std::string_view collection, std::string_view id, std::string& out,
                           Fn&& fn) const {
  std::optional<uint16_t> c = this->collection(collection);
  if (!c) return false;
  uint64_t hash = layout::key_hash(*c, id.data(), static_cast<uint32_t>(id.size()));
  for (int attempt = 0; attempt < kMaxAttempts; back_off(++attempt)) {
    Snap s;
    if (!begin(&s)) continue;
    Lookup f = lookup(s.half, *c, id, hash);
    if (!f.record) {
      if (still_valid(s)) return false;
      continue;
    }
    std::size_t mark = out.size();
    fn(ObjectView(f.record), out);  // the view points at f.record, alive during fn
    if (still_valid(s)) return true;
    out.resize(mark);
  }
  return busy();
}

template <typename Fn>
Status Reader::scan(std::string_view collection, ScanCursor& cur, std::string& out,
                    std::size_t max_bytes, Fn&& fn) const {
  std::optional<uint16_t> c = this->collection(collection);
  if (!c || cur.emitted >= cur.limit) cur.done = true;
  if (cur.done) return Status::ok();
  for (int attempt = 0; attempt < kMaxAttempts; back_off(++attempt)) {
    Snap s;
    if (!begin(&s)) continue;
    uint32_t len = 0;
    const layout::ArrayEntry* e = s.half.array(*c, &len);
    bool torn = false;
    for (uint32_t i = e == nullptr ? 0 : first_after(e, len, cur.after_order); i < len; ++i) {
      if (i + kPrefetchAhead < len) prefetch(s.half, e[i + kPrefetchAhead].record.load(std::memory_order_relaxed));
      if (cur.prefetch != nullptr && i + kPiecesAhead < len) {
        prefetch_pieces(s.half, e[i + kPiecesAhead].record.load(std::memory_order_relaxed), *cur.prefetch);
      }
      uint64_t order = shared_load(e[i].order);
      RecordRef r = s.half.record(e[i].record.load(std::memory_order_acquire));
      if (!r) continue;  // removed (or torn: caught below)
      std::size_t mark = out.size();
      bool emitted = fn(ObjectView(r), out);
      if (!still_valid(s)) {
        out.resize(mark);
        torn = true;
        break;
      }
      cur.after_order = order;
      if (cur.done) return Status::ok();  // fn ended the scan
      if (emitted && ++cur.emitted >= cur.limit) {
        cur.done = true;
        return Status::ok();
      }
      if (out.size() >= max_bytes) return Status::ok();
    }
    if (!torn && still_valid(s)) {
      cur.done = true;
      return Status::ok();
    }
  }
  return busy();
}

}  // namespace xr::cache

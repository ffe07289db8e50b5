// cache::Writer: the single writer of the object cache, implementing xo::ObjectSink. Lives in
// the poller process; not thread-safe (one pool thread at a time, e.g. behind the poller's
// own mutex). Never blocks on readers; compaction (when the arena fills) is a memcpy pass.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "cache/half_index.h"
#include "cache/pool_status.h"
#include "cache/segment.h"
#include "xo/object_sink.h"

namespace xr::cache {

struct WriterStats {
  uint64_t objects = 0;        // live objects, all collections
  uint64_t live_bytes = 0;     // bytes of live records
  uint64_t used_bytes = 0;     // bump pointer of the active half
  uint64_t half_bytes = 0;     // capacity of one half
  uint64_t compactions = 0;
  uint64_t full_errors = 0;
};

class Writer final : public xo::ObjectSink {
 public:
  // REQUIRES: `segment` is laid out (Segment::create / attach) and outlives the writer.
  // Recovers the collection names and pool slots a previous writer left (poller restart)
  // and rebuilds the active half cleanly.
  explicit Writer(const Segment& segment);

  // ObjectSink. Failures are logged and kept in last_error(); see put/erase.
  void begin_batch() override;
  void upsert(std::string_view collection, std::string_view id,
              const rapidjson::Value& object) override;
  void remove(std::string_view collection, std::string_view id) override;
  void end_batch() override;
  // The object's JSON text as stored in the active half (escapes included, as written).
  bool current(std::string_view collection, std::string_view id, std::string* json) const override;
  // The prepared form is the encoded record (encode_record), stored as put() stores it.
  void prepare(std::string_view id, const rapidjson::Value& object, Prepared* out) const override;
  void upsert_prepared(std::string_view collection, std::string_view id, Prepared& p) override;

  // The same with a Status: kResourceExhausted when the cache is full (the previous version,
  // if any, stays), kInvalidArgument for bad input (id too long, non-object, too many
  // collections).
  Status put(std::string_view collection, std::string_view id, const rapidjson::Value& object);
  // The same for a record encode_record() made (its collection is set here; `record` is
  // changed in place).
  Status put_encoded(std::string_view collection, std::string_view id, std::string& record);
  // Removing an absent object is OK (no change logged).
  Status erase(std::string_view collection, std::string_view id);
  // Removes every object of `collection` whose id is not in `keep` (resync convergence):
  // fn(id) -> bool decides whether to keep. Returns the number removed.
  template <typename KeepFn>
  std::size_t erase_unless(std::string_view collection, KeepFn&& keep);

  // Creates or updates the status record of pool `status.key`. kResourceExhausted when all
  // layout::kMaxPools slots are taken by other keys.
  Status set_pool_status(const PoolStatus& status);

  // Forces a compaction now (tests, and after attach).
  Status compact();
  WriterStats stats() const;
  const Status& last_error() const { return last_error_; }

 private:
  Result<uint16_t> collection_index(std::string_view name);
  // Stores an encoded record of collection index c.
  Status store(std::string_view collection, uint16_t c, std::string_view id, std::string_view record);
  Half active() const;
  Status ensure_space(const Half& half, uint32_t coll, uint64_t record_bytes, bool new_object);
  Status grow_array(const Half& half, uint32_t coll);
  Status grow_index(const Half& half);
  uint64_t alloc(const Half& half, uint64_t bytes);
  void insert_new(const Half& half, uint32_t coll, uint64_t rec_off, uint64_t hash, const Lookup& where);
  void report_full(std::string_view collection, std::string_view id, uint64_t need);
  std::vector<std::string> ids_of(uint32_t coll) const;

  char* base_;
  layout::SegmentHeader* header_;
  layout::ChangeEntry* ring_;
  layout::PoolStatusSlot* pools_;
  std::unordered_map<std::string, uint16_t> collections_;
  std::string scratch_;
  Status last_error_;
  uint64_t full_in_batch_ = 0;
  bool in_batch_ = false;
  // Used and live bytes right after the last compaction: compacting again only pays off
  // once enough garbage accumulated (else a nearly full cache would compact on every put).
  uint64_t post_compact_used_ = 0;
  uint64_t post_compact_live_ = 0;
  uint64_t garbage_bytes(const Half& half) const;
  bool worth_compacting(const Half& half) const;
  bool should_compact_early(const Half& half) const;
};

template <typename KeepFn>
std::size_t Writer::erase_unless(std::string_view collection, KeepFn&& keep) {
  auto it = collections_.find(std::string(collection));
  if (it == collections_.end()) return 0;
  std::size_t removed = 0;
  for (const std::string& id : ids_of(it->second)) {
    if (!keep(std::string_view(id)) && erase(collection, id).is_ok()) ++removed;
  }
  return removed;
}

}  // namespace xr::cache

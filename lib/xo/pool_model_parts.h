// Internal to PoolModel's .cpp files (pool_model.cpp, pool_model_emit.cpp): the batch's
// events as the model reads them (decoded, or from a spool), and the class table helpers.
// Pool thread, except Events::Reader (one more thread).
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "xapi/event.h"
#include "xapi/event_spool.h"
#include "xo/collections.h"
#include "xo/pool_model.h"

namespace xr::xo {

// Whether objects of `cls` have derived fields (add_*_derived).
bool has_derived(Cls cls);

class PoolModel::Events {
 public:
  explicit Events(const xapi::EventBatch& b) : b_(b), spool_(b.spool.get()) {}
  // A spool's blocks are freed as soon as the emissions still to come (in `order`, close
  // to the spool's own) read none of their records: the cache fills as the spool empties.
  // record_of(h): the event index of h's record, or nullptr.
  template <class RecordOf>
  void plan_release(const std::vector<Handle>& order, RecordOf&& record_of) {
    if (!spool_) return;
    last_read_.assign(spool_->block_count(), kUnread);
    for (size_t p = 0; p < order.size(); ++p) {
      if (const uint32_t* i = record_of(order[p])) last_read_[spool_->block_of(*i)] = p;
    }
    for (size_t b = 0; b < last_read_.size(); ++b) {
      if (last_read_[b] == kUnread) spool_->release_block(b);
    }
  }
  // Emission number `p` read record i.
  void emitted(size_t p, uint32_t i) {
    if (!spool_) return;
    const size_t b = spool_->block_of(i);
    if (last_read_[b] != p) return;
    spool_->release_block(b);
    // The heap's free pages too, now and then: what the passes over the records left
    // between the objects the model keeps would otherwise stay resident while the cache
    // fills (the poller's peak). About 1 ms each, every 4 MiB of records.
    if (++released_ % 4 == 0) malloc_trim(0);
  }
  size_t size() const { return spool_ ? spool_->size() : b_.events.size(); }
  // Views valid until the next call (a spool's block cache).
  xapi::EventSpool::Header header(size_t i) const {
    if (spool_) return spool_->header(i);
    const xapi::Event& e = b_.events[i];
    return {e.cls, e.operation, e.ref, e.snapshot.get_string("uuid")};
  }
  // The record of event i: the batch's own, or decoded into `*held` from the spool.
  const xapi::Value& snapshot(size_t i, xapi::Value* held) const {
    if (!spool_) return b_.events[i].snapshot;
    *held = spool_->snapshot(i);
    return *held;
  }
  // The same with only `fields` decoded from a spool (a decoded batch's record is whole).
  const xapi::Value& snapshot(size_t i, std::span<const std::string_view> fields, xapi::Value* held) const {
    if (!spool_) return b_.events[i].snapshot;
    *held = spool_->snapshot(i, fields);
    return *held;
  }
  bool spooled() const { return spool_ != nullptr; }

  // The records of the batch for a second thread, read at the same time as the batch's own
  // snapshot() (a spool's Reader). REQUIRES: destroyed on the pool thread.
  class Reader {
   public:
    explicit Reader(const Events& e) : events_(e) {
      if (e.spool_) spool_.emplace(*e.spool_, 1);  // it reads in order: one block at a time
    }
    const xapi::Value& snapshot(size_t i, xapi::Value* held) {
      if (!spool_) return events_.b_.events[i].snapshot;
      *held = spool_->snapshot(i);
      return *held;
    }

   private:
    const Events& events_;
    std::optional<xapi::EventSpool::Reader> spool_;
  };

 private:
  const xapi::EventBatch& b_;
  xapi::EventSpool* spool_;
  static constexpr size_t kUnread = SIZE_MAX;
  std::vector<size_t> last_read_;  // per spool block: the last emission that reads it
  size_t released_ = 0;
};


}  // namespace xr::xo

// PoolModel: the XO object model of one pool. Applies XAPI event batches and delivers the
// resulting XO objects (upserts, removals, collection moves, re-derived dependants) to an
// ObjectSink. One per pool, used by the poller's pool thread only; never blocks.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <utility>

#include "xapi/event.h"
#include "xo/collections.h"
#include "xo/model_deps.h"
#include "xo/model_state.h"
#include "xo/object_sink.h"

namespace xr::xo {

struct Resolved {
  Coll coll;
  std::string id;
};

class PoolModel {
 public:
  // Applies one batch (see xapi::EventBatch) as a single sink batch. On full_resync,
  // every object the model had that is absent from the batch is removed. A spooled batch
  // (EventBatch::spool) gives the same result, holding one decoded record at a time.
  void apply(const xapi::EventBatch& batch, ObjectSink& sink);

  // The collection and XO id of an object given its XO id (uuid, or the
  // "<pool uuid>-<template uuid>" id of a default template) or its OpaqueRef;
  // nullopt when unknown or not served in any collection.
  std::optional<Resolved> resolve(std::string_view id_or_ref) const;

  const std::string& pool_uuid() const { return st_.pool_uuid; }
  size_t object_count() const { return st_.size(); }
  const ModelState& state() const { return st_; }
  // A full resync emitting at least `n` objects maps them on two threads, in chunks of
  // `chunk` (default 1024 and 64: below that a thread is not worth its start; tests set 0
  // and small chunks to map any batch on two).
  void set_parallel_min(size_t n, size_t chunk = 64) {
    parallel_min_ = n;
    chunk_ = chunk > 0 ? chunk : 1;
  }
  // Where the last apply() spent its time (milliseconds, steady clock), for the poller's log.
  struct Phases {
    double create_ms = 0, index_ms = 0, emit_ms = 0;
    int emit_threads = 1;
  };
  const Phases& last_phases() const { return phases_; }

 private:
  class Events;  // the batch's events, from EventBatch::events or its spool
  void create_all(const Events& events);
  void upsert(const Events& events, size_t i, DirtySet& dirty);
  void remove(Handle h, DirtySet& dirty, ObjectSink& sink);
  void emit(Handle h, const xapi::Value* record, ObjectSink& sink);
  // Emits order's objects (re-mapped from their records when they have one in the batch),
  // on two threads when a full resync has many.
  void emit_all(Events& events, const std::vector<Handle>& order, bool full_resync, ObjectSink& sink);
  // Emits order[0, n) on two threads (n: where only objects that lists_many remain).
  void emit_parallel(Events& events, const std::vector<Handle>& order, size_t n, ObjectSink& sink);
  // Whether h's derived fields list a pool's worth of others (pool, host, SR, network): a
  // few objects of up to megabytes while mapped, mapped one at a time.
  bool lists_many(Handle h) const;
  // An object mapped from its record into `doc` (base, then derived members): reads the
  // model only (any thread while no batch changes it).
  struct Mapped {
    Coll coll = Coll::kNone;
    bool pool_scoped = false;
    uint16_t base_members = 0;  // members of the base
  };
  Mapped map_record(const Obj& obj, Handle h, const xapi::Value& record, rapidjson::Document& doc) const;
  // One emission of a parallel pass: mapped and prepared (any thread), then committed (pool
  // thread, in order).
  struct Emission {
    // kSerial: mapped at commit (lists_many: one at a time, as on one thread).
    enum class Kind { kNone, kMapped, kRederive, kSerial } kind = Kind::kNone;
    Mapped m;
    ObjectSink::Prepared out;
  };
  void prepare_emission(Handle h, const xapi::Value& record, const ObjectSink& sink, Emission* e) const;
  void commit(Handle h, Emission& e, ObjectSink& sink);
  // A record of the batch by event index, decoded through the calling thread's reader.
  using Snapshot = std::function<const xapi::Value&(uint32_t, xapi::Value*)>;
  // Maps chunk c (chunk_ emissions) of order[0, n) into `out`: reads the model only.
  void map_chunk(const std::vector<Handle>& order, size_t n, size_t c, const Snapshot& snapshot,
                 const ObjectSink& sink, std::vector<Emission>& out) const;
  // Commits chunk c's emissions in order (pool thread) and frees them.
  void commit_chunk(Events& events, const std::vector<Handle>& order, size_t n, size_t c,
                    std::vector<Emission>& ready, ObjectSink& sink);
  // Records obj as emitted in coll under its (new) id and removes it from where it was
  // (another collection or id). Returns the id.
  std::string place(Obj* obj, Coll coll, bool pool_scoped, ObjectSink& sink);
  void remove_missing(const Events& events, DirtySet& dirty, ObjectSink& sink);

  ModelState st_;
  Phases phases_;
  size_t parallel_min_ = 1024;
  size_t chunk_ = 64;
  std::string scratch_;  // an object's JSON read back from the sink
  // Where each emitted object's record is in this batch (event index); indexed again (Rec)
  // at emission rather than kept indexed, so that a 100k-record resync does not hold 100k
  // indexes at once. A spooled batch's records are decoded again there, one at a time.
  // A full resync's: by slot (a handle's low 32 bits), a flat table rather than a hash map
  // of 100k+ nodes; a small batch's in a hash map (HandleTable).
  HandleTable<uint32_t> records_;
};

}  // namespace xr::xo

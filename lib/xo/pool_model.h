// PoolModel: the XO object model of one pool. Applies XAPI event batches and delivers the
// resulting XO objects (upserts, removals, collection moves, re-derived dependants) to an
// ObjectSink. One per pool, used by the poller's pool thread only; never blocks.
#pragma once

#include <cstddef>
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

 private:
  class Events;  // the batch's events, from EventBatch::events or its spool
  void create_all(const Events& events);
  void upsert(const Events& events, size_t i, DirtySet& dirty);
  void remove(Handle h, DirtySet& dirty, ObjectSink& sink);
  void emit(Handle h, const xapi::Value* record, ObjectSink& sink);
  void remove_missing(const Events& events, DirtySet& dirty, ObjectSink& sink);

  ModelState st_;
  std::string scratch_;  // an object's JSON read back from the sink
  // Where each emitted object's record is in this batch (event index); indexed again (Rec)
  // at emission rather than kept indexed, so that a 100k-record resync does not hold 100k
  // indexes at once. A spooled batch's records are decoded again there, one at a time.
  // A full resync's: by slot (a handle's low 32 bits), a flat table rather than a hash map
  // of 100k+ nodes; a small batch's in a hash map (HandleTable).
  HandleTable<uint32_t> records_;
};

}  // namespace xr::xo

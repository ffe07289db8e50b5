#include "xo/pool_model.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "xapi/event_spool.h"
#include "xo/mappers.h"
#include "xo/pool_model_parts.h"

namespace xr::xo {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool is_emitted(Cls cls) {
  switch (cls) {
    case Cls::kVbd:
    case Cls::kVif:
    case Cls::kPbd:
    case Cls::kMessage:
    case Cls::kSm:
    case Cls::kPci:
    case Cls::kPgpu:
    case Cls::kVgpu:
    case Cls::kVgpuType:
    case Cls::kGpuGroup:
    case Cls::kVtpm:
      return true;
    default:
      return has_derived(cls);
  }
}

}  // namespace

bool has_derived(Cls cls) {
  switch (cls) {
    case Cls::kPool:
    case Cls::kHost:
    case Cls::kVm:
    case Cls::kSr:
    case Cls::kVdi:
    case Cls::kNetwork:
    case Cls::kPif:
      return true;
    default:
      return false;
  }
}

void PoolModel::apply(const xapi::EventBatch& batch, ObjectSink& sink) {
  auto t0 = std::chrono::steady_clock::now();
  Events events(batch);
  sink.begin_batch();
  DirtySet dirty;
  records_.clear();
  if (batch.full_resync) {
    st_.reserve(events.size());
    remove_missing(events, dirty, sink);
  }
  create_all(events);  // so that references within the batch resolve whatever the order
  phases_.create_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  if (batch.full_resync) {
    records_.use_table(st_.slot_count());
    dirty.use_table(st_.slot_count());
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (events.header(i).operation == "del") {
      remove(st_.handle(events.header(i).ref), dirty, sink);
    } else {
      upsert(events, i, dirty);
    }
  }
  phases_.index_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  emit_all(events, dirty.order(), batch.full_resync, sink);
  records_.clear();
  sink.end_batch();
  phases_.emit_ms = ms_since(t0);
}

void PoolModel::create_all(const Events& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    const xapi::EventSpool::Header e = events.header(i);
    if (e.operation == "del") continue;
    Cls cls = cls_from_name(e.cls);
    Handle h = st_.create(e.ref, cls, e.uuid);
    if (cls == Cls::kPool) {
      st_.pool = h;
      st_.pool_uuid = st_.get(h)->uuid();
    }
  }
}

void PoolModel::upsert(const Events& events, size_t i, DirtySet& dirty) {
  Handle h = st_.handle(events.header(i).ref);
  Obj* obj = st_.get(h);
  if (!obj) return;  // deleted earlier in this batch
  bool existed = !std::holds_alternative<std::monostate>(obj->data) || obj->coll != Coll::kNone;
  ObjData prev = std::move(obj->data);
  ObjData next;
  if (has_index(obj->cls)) {
    xapi::Value held;
    next = index_record(obj->cls, Rec(events.snapshot(i, index_fields(obj->cls), &held)), st_);
  }
  track_upsert(st_, obj->cls, h, existed ? &prev : nullptr, next, dirty);
  obj->data = std::move(next);
  if (is_emitted(obj->cls)) {
    records_.set(h, static_cast<uint32_t>(i));
    dirty.add(h);
  }
}

void PoolModel::remove(Handle h, DirtySet& dirty, ObjectSink& sink) {
  Obj* obj = st_.get(h);
  if (!obj) return;
  if (obj->coll != Coll::kNone) sink.remove(coll_name(obj->coll), st_.xo_id(*obj));
  track_delete(st_, h, dirty);
  records_.erase(h);
  st_.erase(h);
}

void PoolModel::remove_missing(const Events& events, DirtySet& dirty, ObjectSink& sink) {
  if (st_.size() == 0) return;  // first sync: nothing to remove
  std::unordered_set<Handle> present;
  present.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) present.insert(st_.handle(events.header(i).ref));
  for (Handle h : st_.all()) {
    if (!present.count(h)) remove(h, dirty, sink);
  }
}

std::optional<Resolved> PoolModel::resolve(std::string_view key) const {
  const Obj* obj = nullptr;
  if (key.starts_with("OpaqueRef:")) {
    obj = st_.find(key);
  } else {
    obj = st_.get(st_.handle_of_uuid(key));
    const std::string& pool = st_.pool_uuid;
    if (!obj && !pool.empty() && key.size() > pool.size() + 1 && key.starts_with(pool) &&
        key[pool.size()] == '-') {
      obj = st_.get(st_.handle_of_uuid(key.substr(pool.size() + 1)));
    }
  }
  if (!obj || obj->coll == Coll::kNone) return std::nullopt;
  return Resolved{obj->coll, st_.xo_id(*obj)};
}

}  // namespace xr::xo

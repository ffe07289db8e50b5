#include "xo/pool_model.h"

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <unordered_set>
#include <vector>

#include "xapi/event_spool.h"
#include "xo/mappers.h"

namespace xr::xo {
namespace {

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

Coll map_base(Cls cls, const Rec& r, const MapCtx& c, JsonOut& o, bool* pool_scoped) {
  switch (cls) {
    case Cls::kVm:
      return map_vm_base(r, c, o, pool_scoped);
    case Cls::kHost:
      return map_host_base(r, c, o);
    case Cls::kPool:
      return map_pool_base(r, c, o);
    case Cls::kSr:
      return map_sr_base(r, c, o);
    case Cls::kVdi:
      return map_vdi_base(r, c, o);
    case Cls::kVbd:
      return map_vbd(r, c, o);
    case Cls::kPbd:
      return map_pbd(r, c, o);
    case Cls::kVif:
      return map_vif(r, c, o);
    case Cls::kNetwork:
      return map_network_base(r, c, o);
    case Cls::kPif:
      return map_pif_base(r, c, o);
    case Cls::kMessage:
      return map_message(r, c, o);
    case Cls::kSm:
      return map_sm(r, c, o);
    case Cls::kPci:
      return map_pci(r, c, o);
    case Cls::kPgpu:
      return map_pgpu(r, c, o);
    case Cls::kVgpu:
      return map_vgpu(r, c, o);
    case Cls::kVgpuType:
      return map_vgpu_type(r, c, o);
    case Cls::kGpuGroup:
      return map_gpu_group(r, c, o);
    case Cls::kVtpm:
      return map_vtpm(r, c, o);
    default:
      return Coll::kNone;
  }
}

void add_derived(Cls cls, const MapCtx& c, JsonOut& o) {
  switch (cls) {
    case Cls::kVm:
      return add_vm_derived(c, o);
    case Cls::kHost:
      return add_host_derived(c, o);
    case Cls::kPool:
      return add_pool_derived(c, o);
    case Cls::kSr:
      return add_sr_derived(c, o);
    case Cls::kVdi:
      return add_vdi_derived(c, o);
    case Cls::kNetwork:
      return add_network_derived(c, o);
    case Cls::kPif:
      return add_pif_derived(c, o);
    default:
      return;
  }
}

}  // namespace

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
  bool spooled() const { return spool_ != nullptr; }

 private:
  const xapi::EventBatch& b_;
  xapi::EventSpool* spool_;
  static constexpr size_t kUnread = SIZE_MAX;
  std::vector<size_t> last_read_;  // per spool block: the last emission that reads it
  size_t released_ = 0;
};

void PoolModel::apply(const xapi::EventBatch& batch, ObjectSink& sink) {
  Events events(batch);
  sink.begin_batch();
  DirtySet dirty;
  records_.clear();
  if (batch.full_resync) {
    st_.reserve(events.size());
    remove_missing(events, dirty, sink);
  }
  create_all(events);  // so that references within the batch resolve whatever the order
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
  xapi::Value held;
  const std::vector<Handle>& order = dirty.order();
  events.plan_release(order, [this](Handle h) { return records_.find(h); });
  for (size_t p = 0; p < order.size(); ++p) {
    const uint32_t* rec = records_.find(order[p]);
    if (!rec) {
      emit(order[p], nullptr, sink);
      continue;
    }
    emit(order[p], &events.snapshot(*rec, &held), sink);
    events.emitted(p, *rec);
  }
  held = xapi::Value();
  records_.clear();
  sink.end_batch();
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
    next = index_record(obj->cls, Rec(events.snapshot(i, &held)), st_);
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

void PoolModel::emit(Handle h, const xapi::Value* record, ObjectSink& sink) {
  Obj* obj = st_.get(h);
  if (!obj) return;
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonOut o(doc, doc.GetAllocator());
  std::string ref = st_.ref_of(h);
  MapCtx c{st_, ref, *obj};
  Coll coll = obj->coll;
  bool pool_scoped = obj->pool_scoped_id;
  if (record) {
    pool_scoped = false;
    coll = map_base(obj->cls, Rec(*record), c, o, &pool_scoped);
    if (has_derived(obj->cls)) obj->base_members = static_cast<uint16_t>(doc.MemberCount());
  } else {
    // Re-derived: the base is the object as the sink holds it, minus its derived members
    // (add_derived only appends members, so they are the tail).
    if (obj->base_members == 0 || coll == Coll::kNone || !has_derived(obj->cls)) return;
    if (!sink.current(coll_name(coll), st_.xo_id(*obj), &scratch_)) return;  // not stored
    doc.Parse(scratch_.data(), scratch_.size());
    if (doc.HasParseError() || !doc.IsObject() || doc.MemberCount() < obj->base_members) return;
    doc.EraseMember(doc.MemberBegin() + obj->base_members, doc.MemberEnd());
  }
  add_derived(obj->cls, c, o);
  if (coll == Coll::kNone) return;
  std::string old_id = st_.xo_id(*obj);
  Coll old_coll = obj->coll;
  obj->coll = coll;
  obj->pool_scoped_id = pool_scoped;
  std::string id = st_.xo_id(*obj);
  if (old_coll != Coll::kNone && (old_coll != coll || old_id != id)) {
    sink.remove(coll_name(old_coll), old_id);
  }
  sink.upsert(coll_name(coll), id, doc);
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

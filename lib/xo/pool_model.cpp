#include "xo/pool_model.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/log.h"
#include "xo/mappers.h"

namespace xr::xo {
namespace {

bool has_derived(Cls cls) {
  switch (cls) {
    case Cls::kPool: case Cls::kHost: case Cls::kVm: case Cls::kSr: case Cls::kVdi:
    case Cls::kNetwork: case Cls::kPif:
      return true;
    default:
      return false;
  }
}

bool is_emitted(Cls cls) {
  switch (cls) {
    case Cls::kVbd: case Cls::kVif: case Cls::kPbd: case Cls::kMessage: case Cls::kSm:
    case Cls::kPci: case Cls::kPgpu:
      return true;
    default:
      return has_derived(cls);
  }
}

Coll map_base(Cls cls, const Rec& r, const MapCtx& c, JsonOut& o, std::string* id) {
  switch (cls) {
    case Cls::kVm: return map_vm_base(r, c, o, id);
    case Cls::kHost: return map_host_base(r, c, o);
    case Cls::kPool: return map_pool_base(r, c, o);
    case Cls::kSr: return map_sr_base(r, c, o);
    case Cls::kVdi: return map_vdi_base(r, c, o);
    case Cls::kVbd: return map_vbd(r, c, o);
    case Cls::kPbd: return map_pbd(r, c, o);
    case Cls::kVif: return map_vif(r, c, o);
    case Cls::kNetwork: return map_network_base(r, c, o);
    case Cls::kPif: return map_pif_base(r, c, o);
    case Cls::kMessage: return map_message(r, c, o);
    case Cls::kSm: return map_sm(r, c, o);
    case Cls::kPci: return map_pci(r, c, o);
    case Cls::kPgpu: return map_pgpu(r, c, o);
    default: return Coll::kNone;
  }
}

void add_derived(Cls cls, const MapCtx& c, JsonOut& o) {
  switch (cls) {
    case Cls::kVm: return add_vm_derived(c, o);
    case Cls::kHost: return add_host_derived(c, o);
    case Cls::kPool: return add_pool_derived(c, o);
    case Cls::kSr: return add_sr_derived(c, o);
    case Cls::kVdi: return add_vdi_derived(c, o);
    case Cls::kNetwork: return add_network_derived(c, o);
    case Cls::kPif: return add_pif_derived(c, o);
    default: return;
  }
}

std::string serialize(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

void PoolModel::apply(const xapi::EventBatch& batch, ObjectSink& sink) {
  sink.begin_batch();
  DirtySet dirty;
  records_.clear();
  if (batch.full_resync) remove_missing(batch, dirty, sink);
  for (const xapi::Event& e : batch.events) {
    if (e.operation == "del") {
      remove(e.ref, dirty, sink);
    } else {
      upsert(e, dirty);
    }
  }
  for (const std::string& ref : dirty.order()) {
    Obj* obj = st_.find(ref);
    if (!obj) continue;
    auto rec = records_.find(ref);
    emit(ref, *obj, rec == records_.end() ? nullptr : rec->second, sink);
  }
  records_.clear();
  sink.end_batch();
}

void PoolModel::upsert(const xapi::Event& e, DirtySet& dirty) {
  Cls cls = cls_from_name(e.cls);
  Rec r(e.snapshot);
  bool existed = st_.find(e.ref) != nullptr;
  Obj& obj = st_.upsert(e.ref, cls, r.str("uuid"));
  if (cls == Cls::kPool) {
    st_.pool_ref = e.ref;
    st_.pool_uuid = obj.uuid;
  }
  ObjData prev = std::move(obj.data);
  ObjData next = index_record(cls, r);
  track_upsert(st_, cls, e.ref, existed ? &prev : nullptr, next, dirty);
  obj.data = std::move(next);
  if (is_emitted(cls)) {
    records_[e.ref] = &e.snapshot;
    dirty.add(e.ref);
  }
}

void PoolModel::remove(const std::string& ref, DirtySet& dirty, ObjectSink& sink) {
  Obj* obj = st_.find(ref);
  if (!obj) return;
  if (obj->coll != Coll::kNone) sink.remove(coll_name(obj->coll), st_.xo_id(*obj));
  track_delete(st_, *obj, ref, dirty);
  records_.erase(ref);
  st_.erase(ref);
}

void PoolModel::remove_missing(const xapi::EventBatch& batch, DirtySet& dirty,
                               ObjectSink& sink) {
  std::unordered_map<std::string_view, bool> present;
  present.reserve(batch.events.size());
  for (const xapi::Event& e : batch.events) present[e.ref] = true;
  std::vector<std::string> gone;
  for (const auto& [ref, obj] : st_.objs) {
    if (!present.count(ref)) gone.push_back(ref);
  }
  for (const std::string& ref : gone) remove(ref, dirty, sink);
}

void PoolModel::emit(const std::string& ref, Obj& obj, const xapi::Value* record,
                     ObjectSink& sink) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonOut o(doc, doc.GetAllocator());
  MapCtx c{st_, ref, obj};
  Coll coll = obj.coll;
  std::string id = obj.xo_id;
  if (record) {
    id.clear();
    coll = map_base(obj.cls, Rec(*record), c, o, &id);
    if (has_derived(obj.cls)) {
      obj.base = serialize(doc);
      obj.base.shrink_to_fit();
    }
  } else {
    if (obj.base.empty() || !has_derived(obj.cls)) return;
    doc.Parse(obj.base.data(), obj.base.size());
    if (doc.HasParseError()) return;  // cannot happen: we wrote it
  }
  add_derived(obj.cls, c, o);
  if (coll == Coll::kNone) return;
  std::string_view new_id = id.empty() ? std::string_view(obj.uuid) : std::string_view(id);
  if (obj.coll != Coll::kNone && (obj.coll != coll || st_.xo_id(obj) != new_id)) {
    sink.remove(coll_name(obj.coll), st_.xo_id(obj));
  }
  obj.coll = coll;
  obj.xo_id = id;
  sink.upsert(coll_name(coll), new_id, doc);
}

std::optional<Resolved> PoolModel::resolve(std::string_view key) const {
  const Obj* obj = nullptr;
  if (key.starts_with("OpaqueRef:")) {
    obj = st_.find(key);
  } else {
    obj = st_.find(st_.ref_of_uuid(key));
    if (!obj && key.size() > st_.pool_uuid.size() + 1 && !st_.pool_uuid.empty() &&
        key.starts_with(st_.pool_uuid) && key[st_.pool_uuid.size()] == '-') {
      obj = st_.find(st_.ref_of_uuid(key.substr(st_.pool_uuid.size() + 1)));
    }
  }
  if (!obj || obj->coll == Coll::kNone) return std::nullopt;
  return Resolved{obj->coll, std::string(st_.xo_id(*obj))};
}

size_t PoolModel::base_bytes() const {
  size_t n = 0;
  for (const auto& [ref, obj] : st_.objs) n += obj.base.capacity();
  return n;
}

}  // namespace xr::xo

// PoolModel's emission: an XO object mapped from its record (or re-derived from what the
// sink holds) and handed to the sink; a full resync's emissions are mapped on two threads.
#include <rapidjson/document.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "xo/mappers.h"
#include "xo/pool_model.h"
#include "xo/pool_model_parts.h"

namespace xr::xo {
namespace {

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

PoolModel::Mapped PoolModel::map_record(const Obj& obj, Handle h, const xapi::Value& record,
                                        rapidjson::Document& doc) const {
  JsonOut o(doc, doc.GetAllocator());
  const std::string ref = st_.ref_of(h);
  const MapCtx c{st_, ref, obj};
  Mapped m;
  m.coll = map_base(obj.cls, Rec(record), c, o, &m.pool_scoped);
  m.base_members = static_cast<uint16_t>(doc.MemberCount());
  add_derived(obj.cls, c, o);
  return m;
}

std::string PoolModel::place(Obj* obj, Coll coll, bool pool_scoped, ObjectSink& sink) {
  const std::string old_id = st_.xo_id(*obj);
  const Coll old_coll = obj->coll;
  obj->coll = coll;
  obj->pool_scoped_id = pool_scoped;
  std::string id = st_.xo_id(*obj);
  if (old_coll != Coll::kNone && (old_coll != coll || old_id != id)) {
    sink.remove(coll_name(old_coll), old_id);
  }
  return id;
}

void PoolModel::emit(Handle h, const xapi::Value* record, ObjectSink& sink) {
  Obj* obj = st_.get(h);
  if (!obj) return;
  rapidjson::Document doc(rapidjson::kObjectType);
  if (record) {
    const Mapped m = map_record(*obj, h, *record, doc);
    if (has_derived(obj->cls)) obj->base_members = m.base_members;
    if (m.coll == Coll::kNone) return;
    sink.upsert(coll_name(m.coll), place(obj, m.coll, m.pool_scoped, sink), doc);
    return;
  }
  // Re-derived: the base is the object as the sink holds it, minus its derived members
  // (add_derived only appends members, so they are the tail).
  const Coll coll = obj->coll;
  if (obj->base_members == 0 || coll == Coll::kNone || !has_derived(obj->cls)) return;
  if (!sink.current(coll_name(coll), st_.xo_id(*obj), &scratch_)) return;  // not stored
  doc.Parse(scratch_.data(), scratch_.size());
  if (doc.HasParseError() || !doc.IsObject() || doc.MemberCount() < obj->base_members) return;
  doc.EraseMember(doc.MemberBegin() + obj->base_members, doc.MemberEnd());
  JsonOut o(doc, doc.GetAllocator());
  const std::string ref = st_.ref_of(h);
  add_derived(obj->cls, MapCtx{st_, ref, *obj}, o);
  sink.upsert(coll_name(coll), place(obj, coll, obj->pool_scoped_id, sink), doc);
}

void PoolModel::prepare_emission(Handle h, const xapi::Value& record, const ObjectSink& sink,
                                 Emission* e) const {
  const Obj* obj = st_.get(h);
  if (!obj) return;
  rapidjson::Document doc(rapidjson::kObjectType);
  e->m = map_record(*obj, h, record, doc);
  e->kind = Emission::Kind::kMapped;
  if (e->m.coll != Coll::kNone) sink.prepare(st_.xo_id(*obj, e->m.pool_scoped), doc, &e->out);
}

void PoolModel::commit(Handle h, Emission& e, ObjectSink& sink) {
  if (e.kind == Emission::Kind::kRederive) return emit(h, nullptr, sink);
  Obj* obj = st_.get(h);
  if (e.kind == Emission::Kind::kNone || !obj) return;
  if (has_derived(obj->cls)) obj->base_members = e.m.base_members;
  if (e.m.coll == Coll::kNone) return;
  sink.upsert_prepared(coll_name(e.m.coll), place(obj, e.m.coll, e.m.pool_scoped, sink), e.out);
}

void PoolModel::emit_all(Events& events, const std::vector<Handle>& order, bool full_resync,
                         ObjectSink& sink) {
  events.plan_release(order, [this](Handle h) { return records_.find(h); });
  // Two threads pay off for a pool's worth of objects (a thread costs ~0.1 ms; an object
  // takes several microseconds to map and encode). The objects that list many others come
  // near the end (the objects they list mark them): from the first of them in the tail
  // (the last 512 emissions at most) on, one thread emits, so that the worker's buffers are
  // gone by then (the cache is nearly full there: the poller's peak).
  size_t split = 0;
  if (full_resync && order.size() >= parallel_min_) {
    split = order.size();
    const size_t tail = std::min<size_t>(512, order.size() / 8);
    for (size_t p = order.size(); p-- > order.size() - tail;) {
      if (lists_many(order[p])) split = p;
    }
  }
  phases_.emit_threads = split > 0 ? 2 : 1;
  if (split > 0) emit_parallel(events, order, split, sink);
  xapi::Value held;
  for (size_t p = split; p < order.size(); ++p) {
    const uint32_t* rec = records_.find(order[p]);
    if (!rec) {
      emit(order[p], nullptr, sink);
      continue;
    }
    emit(order[p], &events.snapshot(*rec, &held), sink);
    events.emitted(p, *rec);
  }
}

bool PoolModel::lists_many(Handle h) const {
  const Obj* obj = st_.get(h);
  const Cls cls = obj ? obj->cls : Cls::kOther;
  return cls == Cls::kPool || cls == Cls::kHost || cls == Cls::kSr || cls == Cls::kNetwork;
}

void PoolModel::map_chunk(const std::vector<Handle>& order, size_t n, size_t c, const Snapshot& snapshot,
                          const ObjectSink& sink, std::vector<Emission>& out) const {
  for (size_t p = c * chunk_, k = 0; p < n && k < chunk_; ++p, ++k) {
    Emission& e = out[k];
    e = Emission();
    const uint32_t* rec = records_.find(order[p]);
    if (!rec) {
      e.kind = Emission::Kind::kRederive;
      continue;
    }
    if (lists_many(order[p])) {
      e.kind = Emission::Kind::kSerial;
      continue;
    }
    xapi::Value held;
    prepare_emission(order[p], snapshot(*rec, &held), sink, &e);
  }
}

void PoolModel::commit_chunk(Events& events, const std::vector<Handle>& order, size_t n, size_t c,
                             std::vector<Emission>& ready, ObjectSink& sink) {
  for (size_t p = c * chunk_, k = 0; p < n && k < chunk_; ++p, ++k) {
    const uint32_t* rec = records_.find(order[p]);
    if (ready[k].kind == Emission::Kind::kSerial) {
      xapi::Value held;
      emit(order[p], &events.snapshot(*rec, &held), sink);
    } else {
      commit(order[p], ready[k], sink);
    }
    ready[k] = Emission();  // its encoded object, freed now rather than at the next use
    if (rec) events.emitted(p, *rec);
  }
}

namespace {

// The two threads of emit_parallel: which of the worker's (odd) chunks are mapped, how many
// chunks are committed, and whether the worker failed or must stop.
class Handoff {
 public:
  // Worker, before mapping chunk c: waits until chunk c - 2, whose buffers it reuses, is
  // committed. False once stopped.
  bool wait_turn(size_t c) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || committed_ + 1 >= c; });
    return !stop_;
  }
  void mapped(size_t c) { set([&] { mapped_ = c + 1; }); }
  // Pool thread: waits until the worker mapped chunk c. False when the worker failed.
  bool wait_mapped(size_t c) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return mapped_ > c || failed_; });
    return !failed_;
  }
  void committed(size_t c) { set([&] { committed_ = c + 1; }); }
  void fail(std::exception_ptr e) { set([&] { failed_ = std::move(e); }); }
  void stop() { set([&] { stop_ = true; }); }
  void rethrow() const {
    if (failed_) std::rethrow_exception(failed_);
  }

 private:
  template <typename F>
  void set(F&& change) {
    std::lock_guard lock(mu_);
    change();
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  size_t mapped_ = 0;     // the worker's chunks below this are mapped
  size_t committed_ = 0;  // chunks below this are committed
  bool stop_ = false;
  std::exception_ptr failed_;
};

}  // namespace

// Chunks of order: the pool thread maps the even ones, a worker the odd ones; the pool
// thread commits them all in order (small chunks, one buffer each: what is mapped and not
// yet committed adds to the poller's peak). The worker reads the model while the pool
// thread changes only what no mapper reads (an object's collection, id flag and base size)
// and the sink; it reads the records through its own Reader, and a spool block is released
// only after the last emission reading it was committed, so never while a chunk still to
// map needs it.
void PoolModel::emit_parallel(Events& events, const std::vector<Handle>& order, size_t n,
                              ObjectSink& sink) {
  const size_t chunks = (n + chunk_ - 1) / chunk_;
  std::vector<Emission> mine(chunk_);
  std::vector<Emission> theirs(chunk_);
  Handoff handoff;
  Events::Reader reader(events);  // created and destroyed here, on the pool thread
  const Snapshot own = [&](uint32_t i, xapi::Value* held) -> const xapi::Value& { return events.snapshot(i, held); };
  const Snapshot worker_own = [&](uint32_t i, xapi::Value* held) -> const xapi::Value& {
    return reader.snapshot(i, held);
  };
  std::thread worker([&] {
    try {
      for (size_t c = 1; c < chunks && handoff.wait_turn(c); c += 2) {
        map_chunk(order, n, c, worker_own, sink, theirs);
        handoff.mapped(c);
      }
    } catch (...) {
      handoff.fail(std::current_exception());
    }
  });
  auto finish = [&] {
    handoff.stop();
    worker.join();
  };
  try {
    for (size_t c = 0; c < chunks; ++c) {
      if (c % 2 == 0) {
        map_chunk(order, n, c, own, sink, mine);
      } else if (!handoff.wait_mapped(c)) {
        break;
      }
      commit_chunk(events, order, n, c, c % 2 == 0 ? mine : theirs, sink);
      handoff.committed(c);
    }
  } catch (...) {
    finish();
    throw;
  }
  finish();
  handoff.rethrow();
}

}  // namespace xr::xo

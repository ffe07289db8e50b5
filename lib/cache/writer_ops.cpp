// Writer: the object operations (put/erase), batches and pool status.
#include <cstddef>
#include <cstring>
#include <ctime>

#include "base/futex.h"
#include "base/log.h"
#include "cache/change_log.h"
#include "cache/writer.h"

namespace xr::cache {
namespace L = layout;

namespace {
constexpr log::Logger kLog("cache");
}

void Writer::insert_new(const Half& half, uint32_t coll, uint64_t rec_off, uint64_t hash,
                        const Lookup& where) {
  L::CollectionDir& dir = half.header()->dirs[coll];
  auto* r = reinterpret_cast<L::RecordHeader*>(half.base + rec_off);
  uint32_t len = 0;
  L::ArrayEntry* e = half.array(coll, &len);
  uint32_t slot = dir.length.load(std::memory_order_relaxed);
  r->order = header_->next_order++;
  r->slot = slot;
  e[slot].order = r->order;
  e[slot].record.store(rec_off, std::memory_order_release);
  dir.length.store(slot + 1, std::memory_order_release);
  dir.live.fetch_add(1, std::memory_order_relaxed);
  uint64_t n = 0;
  L::IndexHeader* idx = half.index(&n);
  auto* slots = half.index_slots(idx);
  if (slots[where.insert].load(std::memory_order_relaxed) == 0) ++idx->used;
  slots[where.insert].store(L::pack_slot(rec_off, coll, hash), std::memory_order_release);
}

Status Writer::put(std::string_view collection, std::string_view id, const rapidjson::Value& object) {
  XR_ASSIGN_OR_RETURN(uint16_t c, collection_index(collection));
  XR_RETURN_IF_ERROR(encode_record(c, id, object, &scratch_));
  return store(collection, c, id, scratch_);
}

Status Writer::put_encoded(std::string_view collection, std::string_view id, std::string& record) {
  XR_ASSIGN_OR_RETURN(uint16_t c, collection_index(collection));
  if (record.size() < sizeof(L::RecordHeader)) return Status(ErrorKind::kInvalidArgument, "cache: not a record");
  std::memcpy(record.data() + offsetof(L::RecordHeader, collection), &c, sizeof c);
  return store(collection, c, id, record);
}

Status Writer::store(std::string_view collection, uint16_t c, std::string_view id, std::string_view record) {
  uint64_t hash = L::key_hash(c, id.data(), static_cast<uint32_t>(id.size()));
  if (should_compact_early(active())) {
    Status s = compact();
    if (!s.is_ok()) kLog.warn("cache: early compaction failed: " + s.to_string());
  }
  for (int round = 0;; ++round) {
    Half h = active();
    Lookup f = lookup(h, c, id, hash);
    Status room = ensure_space(h, c, record.size(), f.slot < 0);
    if (!room.is_ok()) {
      if (round == 0 && worth_compacting(h) && compact().is_ok()) continue;
      report_full(collection, id, record.size());
      return Status(ErrorKind::kResourceExhausted,
                    "cache full: cannot store " + std::string(collection) + "/" + std::string(id));
    }
    if (f.slot < 0) {
      XR_RETURN_IF_ERROR(grow_array(h, c));
      XR_RETURN_IF_ERROR(grow_index(h));
      f = lookup(h, c, id, hash);  // the index may have moved
    }
    uint64_t off = alloc(h, record.size());
    auto* r = reinterpret_cast<L::RecordHeader*>(h.base + off);
    std::memcpy(static_cast<void*>(r), record.data(), record.size());
    if (f.slot >= 0) {
      r->order = f.record.order;
      r->slot = f.record.slot;
      uint32_t len = 0;
      L::ArrayEntry* e = h.array(c, &len);
      if (r->slot < len) e[r->slot].record.store(off, std::memory_order_release);
      uint64_t n = 0;
      h.index_slots(h.index(&n))[f.slot].store(L::pack_slot(off, c, hash), std::memory_order_release);
      header_->live_bytes.fetch_sub(f.record.bytes, std::memory_order_relaxed);
    } else {
      insert_new(h, c, off, hash, f);
    }
    header_->live_bytes.fetch_add(r->bytes, std::memory_order_relaxed);
    append_change(header_, ring_, c, L::ChangeOp::kUpdate, id);
    if (!in_batch_) publish_changes(header_);
    return Status::ok();
  }
}

uint64_t Writer::garbage_bytes(const Half& half) const {
  uint64_t used = half.header()->used.load(std::memory_order_relaxed);
  uint64_t live = header_->live_bytes.load(std::memory_order_relaxed);
  uint64_t written = used - std::min(used, post_compact_used_);
  uint64_t grown = live - std::min(live, post_compact_live_);
  return written - std::min(written, grown);
}

bool Writer::worth_compacting(const Half& half) const {
  return garbage_bytes(half) >= half.capacity / 16;
}

// Compacting before the half is full bounds the memory actually used (resident pages) to
// about 1.25x the live data instead of the whole half.
bool Writer::should_compact_early(const Half& half) const {
  return garbage_bytes(half) >= std::max(half.capacity / 16, header_->live_bytes.load() / 4);
}

Status Writer::erase(std::string_view collection, std::string_view id) {
  auto it = collections_.find(std::string(collection));
  if (it == collections_.end()) return Status::ok();
  uint16_t c = it->second;
  uint64_t hash = L::key_hash(c, id.data(), static_cast<uint32_t>(id.size()));
  Half h = active();
  Lookup f = lookup(h, c, id, hash);
  if (f.slot < 0) return Status::ok();
  uint32_t len = 0;
  L::ArrayEntry* e = h.array(c, &len);
  if (f.record.slot < len) e[f.record.slot].record.store(0, std::memory_order_release);
  uint64_t n = 0;
  h.index_slots(h.index(&n))[f.slot].store(L::kTombstone, std::memory_order_release);
  h.header()->dirs[c].live.fetch_sub(1, std::memory_order_relaxed);
  header_->live_bytes.fetch_sub(f.record.bytes, std::memory_order_relaxed);
  append_change(header_, ring_, c, L::ChangeOp::kRemove, id);
  if (!in_batch_) publish_changes(header_);
  return Status::ok();
}

void Writer::begin_batch() {
  in_batch_ = true;
  full_in_batch_ = 0;
  header_->batch_seq.fetch_add(1, std::memory_order_release);
}

void Writer::end_batch() {
  in_batch_ = false;
  header_->batch_seq.fetch_add(1, std::memory_order_release);
  publish_changes(header_);
  if (full_in_batch_ > 1) {
    kLog.error("cache FULL: " + std::to_string(full_in_batch_) + " objects of this batch not stored");
  }
}

void Writer::upsert(std::string_view collection, std::string_view id, const rapidjson::Value& object) {
  Status s = put(collection, id, object);
  if (!s.is_ok()) {
    if (s.kind() != ErrorKind::kResourceExhausted) kLog.error(s.to_string());  // full: logged once
    last_error_ = s;
  }
}

void Writer::prepare(std::string_view id, const rapidjson::Value& object, Prepared* out) const {
  Status s = encode_record(0, id, object, &out->data);  // the collection is set when stored
  out->ok = s.is_ok();
  if (!out->ok) out->data = s.message();
}

void Writer::upsert_prepared(std::string_view collection, std::string_view id, Prepared& p) {
  Status s = p.ok ? put_encoded(collection, id, p.data) : Status(ErrorKind::kInvalidArgument, p.data);
  if (!s.is_ok()) {
    if (s.kind() != ErrorKind::kResourceExhausted) kLog.error(s.to_string());  // full: logged once
    last_error_ = s;
  }
}

bool Writer::current(std::string_view collection, std::string_view id, std::string* json) const {
  auto it = collections_.find(std::string(collection));
  if (it == collections_.end()) return false;
  const uint16_t c = it->second;
  Lookup f = lookup(active(), c, id, L::key_hash(c, id.data(), static_cast<uint32_t>(id.size())));
  if (f.slot < 0) return false;
  json->assign(f.record.json(), f.record.json_len);
  return true;
}

void Writer::remove(std::string_view collection, std::string_view id) {
  Status s = erase(collection, id);
  if (!s.is_ok()) last_error_ = s;
}

Status Writer::set_pool_status(const PoolStatus& status) {
  L::PoolStatusSlot* free_slot = nullptr;
  for (uint32_t i = 0; i < L::kMaxPools; ++i) {
    L::PoolStatusSlot* s = &pools_[i];
    if (s->state == static_cast<uint32_t>(L::PoolState::kUnused)) {
      if (free_slot == nullptr) free_slot = s;
      continue;
    }
    if (std::string_view(s->key, s->key_len) == std::string_view(status.key).substr(0, L::kPoolKeyBytes)) {
      write_pool_slot(s, status);
      futex_bump(&header_->status_futex);
      return Status::ok();
    }
  }
  if (free_slot == nullptr) {
    return Status(ErrorKind::kResourceExhausted, "cache: too many pools (max 64)");
  }
  write_pool_slot(free_slot, status);
  futex_bump(&header_->status_futex);
  return Status::ok();
}

std::vector<std::string> Writer::ids_of(uint32_t coll) const {
  std::vector<std::string> ids;
  Half h = active();
  uint32_t len = 0;
  const L::ArrayEntry* e = h.array(coll, &len);
  for (uint32_t i = 0; e != nullptr && i < len; ++i) {
    RecordRef r = h.record(e[i].record.load(std::memory_order_relaxed));
    if (r) ids.emplace_back(r.id());
  }
  return ids;
}

WriterStats Writer::stats() const {
  WriterStats s;
  Half h = active();
  for (const auto& [name, c] : collections_) s.objects += h.header()->dirs[c].live.load();
  s.live_bytes = header_->live_bytes.load();
  s.used_bytes = h.header()->used.load();
  s.half_bytes = header_->half_bytes;
  s.compactions = header_->compactions.load();
  s.full_errors = header_->full_errors.load();
  return s;
}

}  // namespace xr::cache

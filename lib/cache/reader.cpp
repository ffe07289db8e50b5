#include "cache/reader.h"

#include "base/futex.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace xr::cache {
namespace L = layout;

Reader::Reader(const char* base, std::size_t /*size*/)
    : base_(base), header_(reinterpret_cast<const L::SegmentHeader*>(base)) {}

bool Reader::begin(Snap* s) const {
  uint32_t a = header_->active_half.load(std::memory_order_acquire) & 1;
  uint64_t g = header_->half_gen[a].load(std::memory_order_acquire);
  if (g % 2 != 0) return false;
  s->active = a;
  s->gen = g;
  s->half = Half{const_cast<char*>(base_) + header_->half_off[a], header_->half_bytes};
  return true;
}

uint32_t Reader::first_after(const L::ArrayEntry* e, uint32_t len, uint64_t after) {
  uint32_t lo = 0, hi = len;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (shared_load(e[mid].order) <= after) lo = mid + 1; else hi = mid;
  }
  return lo;
}

void Reader::prefetch_pieces(const Half& h, uint64_t off, const FieldList& fields) {
  // Only the four header fields needed, bounded to the record: a prefetch never faults, so
  // torn values cost at most a useless prefetch (no full checked_record here).
  if (off < sizeof(L::HalfHeader) || off % 8 != 0 || off + sizeof(L::RecordHeader) > h.capacity) return;
  const char* rec = h.base + off;
  const auto* hdr = reinterpret_cast<const L::RecordHeader*>(rec);
  const uint64_t bytes = std::min<uint64_t>(shared_load(hdr->bytes), h.capacity - off);
  const uint32_t members_off = shared_load(hdr->members_off);
  const uint32_t count = shared_load(hdr->member_count);
  const uint32_t json_off = shared_load(hdr->json_off);
  const uint32_t id_off = shared_load(hdr->id_off);
  if (id_off < bytes) __builtin_prefetch(rec + id_off);  // the id (hrefs): usually in the JSON
  if (members_off % 4 != 0) return;
  const auto* members = reinterpret_cast<const L::MemberEntry*>(rec + members_off);
  for (const FieldList::Field& f : fields.fields()) {
    if (f.hint >= count || members_off + (uint64_t{f.hint} + 1) * sizeof(L::MemberEntry) > bytes) continue;
    uint64_t piece = uint64_t{json_off} + shared_load(members[f.hint].piece_off);
    if (piece < bytes) __builtin_prefetch(rec + piece);
  }
}

std::optional<uint16_t> Reader::collection(std::string_view name) const {
  const auto* names = reinterpret_cast<const L::CollectionName*>(base_ + header_->names_off);
  uint32_t count = std::min(header_->collection_count.load(std::memory_order_acquire), L::kMaxCollections);
  for (uint32_t i = 0; i < count; ++i) {
    if (names[i].len == name.size() && std::memcmp(names[i].name, name.data(), name.size()) == 0) {
      return static_cast<uint16_t>(i);
    }
  }
  return std::nullopt;
}

std::string Reader::collection_name(uint16_t index) const {
  const auto* names = reinterpret_cast<const L::CollectionName*>(base_ + header_->names_off);
  if (index >= std::min(header_->collection_count.load(std::memory_order_acquire), L::kMaxCollections)) {
    return {};
  }
  return std::string(names[index].name, std::min(names[index].len, L::kNameBytes));
}

std::vector<std::string> Reader::collections() const {
  std::vector<std::string> out;
  uint32_t count = std::min(header_->collection_count.load(std::memory_order_acquire), L::kMaxCollections);
  for (uint32_t i = 0; i < count; ++i) out.push_back(collection_name(static_cast<uint16_t>(i)));
  return out;
}

std::size_t Reader::count(std::string_view collection) const {
  std::optional<uint16_t> c = this->collection(collection);
  if (!c) return 0;
  for (int attempt = 0; attempt < kMaxAttempts; back_off(++attempt)) {
    Snap s;
    if (!begin(&s)) continue;
    std::size_t n = s.half.header()->dirs[*c].live.load(std::memory_order_acquire);
    if (still_valid(s)) return n;
  }
  return 0;
}

bool Reader::get_json(std::string_view collection, std::string_view id, std::string& out) const {
  Result<bool> r = visit(collection, id, out, [](const ObjectView& v, std::string& o) { v.append_json(o); });
  return r.is_ok() && r.value();
}

CacheStats Reader::stats() const {
  CacheStats s;
  s.segment_bytes = header_->segment_bytes;
  s.half_bytes = header_->half_bytes;
  uint32_t a = header_->active_half.load(std::memory_order_acquire) & 1;
  const auto* hh = reinterpret_cast<const L::HalfHeader*>(base_ + header_->half_off[a]);
  s.used_bytes = hh->used.load(std::memory_order_relaxed);
  s.live_bytes = header_->live_bytes.load(std::memory_order_relaxed);
  s.compactions = header_->compactions.load(std::memory_order_relaxed);
  s.full_errors = header_->full_errors.load(std::memory_order_relaxed);
  s.last_change_seq = header_->last_change_seq.load(std::memory_order_relaxed);
  return s;
}

std::vector<PoolStatus> Reader::pool_statuses() const {
  std::vector<PoolStatus> out;
  const auto* slots = reinterpret_cast<const L::PoolStatusSlot*>(base_ + header_->pools_off);
  // A poller that stopped beating (stopped, hung, killed) reports nothing more: what its
  // slots still say "connected" is as old as its last heartbeat.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const int64_t beat = L::control_block(const_cast<char*>(base_))->poller_heartbeat_ms.load(std::memory_order_acquire);
  const bool poller_silent = beat != 0 && now - beat > L::kPollerHeartbeatStaleMs;
  for (uint32_t i = 0; i < L::kMaxPools; ++i) {
    PoolStatus s;
    if (!read_pool_slot(&slots[i], &s)) continue;
    if (s.state == L::PoolState::kConnected && poller_silent) {
      s.state = L::PoolState::kDisconnected;
      s.last_error = "the poller has sent no heartbeat for " + std::to_string((now - beat) / 1000) + " s";
      s.fresh_ms = beat;  // its stream was healthy then (else the slot would not say connected)
    } else if (s.state == L::PoolState::kConnected) {
      s.fresh_ms = now;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Status Reader::read_changes(uint64_t after, std::size_t max, std::vector<Change>* out) const {
  const auto* ring = reinterpret_cast<const L::ChangeEntry*>(base_ + header_->log_off);
  return cache::read_changes(header_, ring, after, max, out);
}

uint32_t Reader::wait_for_change(uint32_t seen, int timeout_ms) const {
  return cache::wait_for_change(header_, seen, timeout_ms);
}

uint32_t Reader::wait_for_status(uint32_t seen, int timeout_ms) const {
  futex_wait(&header_->status_futex, seen, timeout_ms);
  return status_word();
}

}  // namespace xr::cache

#include "xapi/event_spool.h"
#include "xapi/event_spool_tags.h"

#include <sys/mman.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace xr::xapi {
using namespace spool_tags;
namespace {

struct Cursor {
  const char* p;

  uint64_t varint() {
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      const auto b = static_cast<uint8_t>(*p++);
      n |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return n;
    }
  }
  uint32_t count() {  // of a container: 4 bytes, patched in once known (SaxEncoder)
    uint32_t n = 0;
    std::memcpy(&n, p, sizeof n);
    p += sizeof n;
    return n;
  }
  std::string_view text() {
    const size_t n = varint();
    std::string_view s(p, n);
    p += n;
    return s;
  }
};

Value decode(Cursor& c, const std::vector<std::string>& names) {
  const auto tag = static_cast<uint8_t>(*c.p++);
  switch (tag) {
    case kString:
      return Value::string(std::string(c.text()));
    case kInt: {
      const uint64_t z = c.varint();
      return Value::integer(static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1));
    }
    case kFalse:
      return Value::boolean(false);
    case kTrue:
      return Value::boolean(true);
    case kDouble: {
      uint64_t bits = 0;
      std::memcpy(&bits, c.p, sizeof bits);
      c.p += sizeof bits;
      return Value::real(std::bit_cast<double>(bits));
    }
    case kDateTime:
      return Value::datetime(std::string(c.text()));
    case kArray: {
      Value::Array items(c.count());
      for (Value& item : items) item = decode(c, names);
      return Value::array(std::move(items));
    }
    case kStruct: {
      Value::Struct members(c.count());
      for (Member& m : members) {
        m.name = names[c.varint()];
        m.value = decode(c, names);
      }
      return Value::structure(std::move(members));
    }
    default:
      return Value();
  }
}

// Moves past one encoded value.
void skip(Cursor& c) {
  const auto tag = static_cast<uint8_t>(*c.p++);
  switch (tag) {
    case kString:
    case kDateTime:
      c.text();
      return;
    case kInt:
      c.varint();
      return;
    case kDouble:
      c.p += sizeof(uint64_t);
      return;
    case kArray:
      for (uint32_t n = c.count(); n > 0; --n) skip(c);
      return;
    case kStruct:
      for (uint32_t n = c.count(); n > 0; --n) {
        c.varint();
        skip(c);
      }
      return;
    default:  // kNil, kFalse, kTrue
      return;
  }
}

// zstd's fastest standard level: the blocks shrink about 8x at several hundred MB/s.
constexpr int kZstdLevel = 1;

}  // namespace

struct EventSpool::Zstd {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  Pages out;  // compression output, ZSTD_compressBound(kBlockBytes)
  size_t out_capacity = 0;
  ~Zstd() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

EventSpool::Pages::Pages(size_t n) : n_(n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  p_ = static_cast<char*>(p);
}

EventSpool::Pages& EventSpool::Pages::operator=(Pages&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}

void EventSpool::Pages::reset() {
  if (p_ != nullptr) munmap(p_, n_);
  p_ = nullptr;
  n_ = 0;
}

EventSpool::EventSpool() : zstd_(std::make_unique<Zstd>()) { name_id(std::string()); }
EventSpool::~EventSpool() = default;
EventSpool::EventSpool(EventSpool&&) noexcept = default;
EventSpool& EventSpool::operator=(EventSpool&&) noexcept = default;

void EventSpool::put_varint(std::string& out, uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

void EventSpool::put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

size_t EventSpool::put_container(uint8_t tag) {
  scratch_.push_back(static_cast<char>(tag));
  const size_t at = scratch_.size();
  scratch_.append(sizeof(uint32_t), '\0');
  return at;
}

void EventSpool::patch_count(size_t at, uint32_t count) { std::memcpy(scratch_.data() + at, &count, sizeof count); }

uint32_t EventSpool::name_id(std::string_view name) {
  auto [it, added] = name_ids_.try_emplace(std::string(name), static_cast<uint32_t>(names_.size()));
  if (added) names_.emplace_back(name);
  return it->second;
}

uint32_t EventSpool::next_name_id(std::string_view name, uint32_t prev, bool first) {
  std::vector<uint32_t>& guesses = first ? first_in_ : after_;
  if (prev < guesses.size()) {
    const uint32_t guess = guesses[prev];
    if (guess < names_.size() && names_[guess] == name) return guess;
  }
  const uint32_t id = name_id(name);
  if (guesses.size() <= prev) guesses.resize(names_.size() + 64, UINT32_MAX);
  guesses[prev] = id;
  return id;
}

void EventSpool::put(const Value& v, uint32_t parent) {
  switch (v.type()) {
    case ValueType::kNil:
      scratch_.push_back(static_cast<char>(kNil));
      return;
    case ValueType::kString:
      scratch_.push_back(static_cast<char>(kString));
      put_text(*v.as_string());
      return;
    case ValueType::kDateTime:
      scratch_.push_back(static_cast<char>(kDateTime));
      put_text(*v.as_string());
      return;
    case ValueType::kInt: {
      scratch_.push_back(static_cast<char>(kInt));
      const int64_t i = *v.as_int();
      put_varint((static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));
      return;
    }
    case ValueType::kBool:
      scratch_.push_back(static_cast<char>(*v.as_bool() ? kTrue : kFalse));
      return;
    case ValueType::kDouble: {
      scratch_.push_back(static_cast<char>(kDouble));
      const auto bits = std::bit_cast<uint64_t>(*v.as_double());
      scratch_.append(reinterpret_cast<const char*>(&bits), sizeof bits);
      return;
    }
    case ValueType::kArray: {
      const Value::Array& items = **v.as_array();
      patch_count(put_container(kArray), static_cast<uint32_t>(items.size()));
      for (const Value& item : items) put(item, parent);
      return;
    }
    case ValueType::kStruct: {
      const Value::Struct& members = **v.as_struct();
      patch_count(put_container(kStruct), static_cast<uint32_t>(members.size()));
      uint32_t prev = parent;
      bool first = true;
      for (const Member& m : members) {
        const uint32_t id = next_name_id(m.name, prev, first);
        put_varint(id);
        put(m.value, id);
        prev = id;
        first = false;
      }
      return;
    }
  }
}

void EventSpool::pack_last_block() {
  Block& b = blocks_.back();
  if (zstd_->c == nullptr) zstd_->c = ZSTD_createCCtx();  // freed by release_block
  const size_t bound = ZSTD_compressBound(b.size);
  if (zstd_->out_capacity < bound) {
    zstd_->out = Pages(bound);
    zstd_->out_capacity = bound;
  }
  const size_t n = ZSTD_compressCCtx(zstd_->c, zstd_->out.get(), bound, b.data.get(), b.size, kZstdLevel);
  if (ZSTD_isError(n) || n >= b.size) return;  // kept raw
  Pages raw = std::exchange(b.data, Pages(n));
  std::memcpy(b.data.get(), zstd_->out.get(), n);
  if (open_capacity_ == kBlockBytes) spare_ = std::move(raw);  // the next open block's
  b.raw_size = b.size;
  b.size = n;
  b.packed = true;
  ++packed_;
}

void EventSpool::add(Event&& e) {
  scratch_.clear();
  put_text(e.cls);
  put_text(e.operation);
  put_text(e.ref);
  put_text(e.snapshot.get_string("uuid"));
  put(e.snapshot, kTop);
  e.snapshot = Value();
  append_record(scratch_, {});
}

void EventSpool::append_record(std::string_view head, std::string_view body) {
  const size_t n = head.size() + body.size();
  if (blocks_.empty() || blocks_.back().size + n > open_capacity_) {
    if (!blocks_.empty()) pack_last_block();
    open_capacity_ = std::max(kBlockBytes, n);
    const bool reuse = open_capacity_ == kBlockBytes && spare_;
    blocks_.push_back({reuse ? std::move(spare_) : Pages(open_capacity_), 0, 0, false});
  }
  Block& b = blocks_.back();
  std::memcpy(b.data.get() + b.size, head.data(), head.size());
  if (!body.empty()) std::memcpy(b.data.get() + b.size + head.size(), body.data(), body.size());
  records_.push_back({static_cast<uint32_t>(blocks_.size() - 1), static_cast<uint32_t>(b.size)});
  b.size += n;
  b.raw_size = b.size;
  if (scratch_.capacity() > kBlockBytes) std::string().swap(scratch_);  // an oversized record's
}

const char* EventSpool::record(size_t i) const {
  return record(i, cache_, kCachedBlocks, clock_, unpacked_, zstd_->d);
}

const char* EventSpool::record(size_t i, std::vector<Cached>& cache, size_t max_cached, uint64_t& clock,
                               size_t& unpacked, void* dctx) const {
  const Rec& r = records_[i];
  const Block& b = blocks_[r.block];
  if (!b.packed) return b.data.get() + r.offset;
  Cached* slot = nullptr;
  for (Cached& c : cache) {
    if (c.block == r.block) {
      c.used = ++clock;
      return c.raw.get() + r.offset;
    }
    if (slot == nullptr || c.used < slot->used) slot = &c;
  }
  if (cache.size() < max_cached) slot = &cache.emplace_back();
  if (slot->capacity < b.raw_size) {
    slot->raw = Pages(b.raw_size);
    slot->capacity = b.raw_size;
  }
  const size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx), slot->raw.get(), b.raw_size,
                                       b.data.get(), b.size);
  if (ZSTD_isError(n) || n != b.raw_size) std::abort();  // our own frame: cannot happen
  slot->block = r.block;
  slot->used = ++clock;
  ++unpacked;
  return slot->raw.get() + r.offset;
}

EventSpool::Header EventSpool::header_at(const char* rec) {
  Cursor c{rec};
  Header h;
  h.cls = c.text();
  h.operation = c.text();
  h.ref = c.text();
  h.uuid = c.text();
  return h;
}

Value EventSpool::snapshot_at(const char* rec) const {
  Cursor c{rec};
  for (int f = 0; f < 4; ++f) c.text();
  return decode(c, names_);
}

Value EventSpool::snapshot(size_t i, std::span<const std::string_view> fields) const {
  auto it = std::find_if(wanted_.begin(), wanted_.end(), [&](const auto& w) { return w.first == fields.data(); });
  if (it == wanted_.end()) it = wanted_.insert(wanted_.end(), {fields.data(), {}});
  std::vector<int8_t>& wanted = it->second;
  if (wanted.size() < names_.size()) wanted.resize(names_.size(), -1);
  Cursor c{record(i)};
  for (int f = 0; f < 4; ++f) c.text();
  if (static_cast<uint8_t>(*c.p) != kStruct) return decode(c, names_);
  ++c.p;
  Value::Struct members;
  for (uint32_t n = c.count(); n > 0; --n) {
    const uint32_t id = static_cast<uint32_t>(c.varint());
    if (wanted[id] < 0) wanted[id] = std::find(fields.begin(), fields.end(), names_[id]) != fields.end();
    if (wanted[id] == 0) {
      skip(c);
      continue;
    }
    members.push_back(Member{names_[id], decode(c, names_)});
  }
  return Value::structure(std::move(members));
}

EventSpool::Header EventSpool::header(size_t i) const { return header_at(record(i)); }

Value EventSpool::snapshot(size_t i) const { return snapshot_at(record(i)); }

struct EventSpool::Reader::Dctx {
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~Dctx() { ZSTD_freeDCtx(d); }
};

EventSpool::Reader::Reader(const EventSpool& spool, size_t cached_blocks)
    : spool_(spool), max_cached_(std::max<size_t>(cached_blocks, 1)), dctx_(std::make_unique<Dctx>()) {}

EventSpool::Reader::~Reader() { spool_.unpacked_ += unpacked_; }

EventSpool::Header EventSpool::Reader::header(size_t i) {
  return header_at(spool_.record(i, cache_, max_cached_, clock_, unpacked_, dctx_->d));
}

Value EventSpool::Reader::snapshot(size_t i) {
  return spool_.snapshot_at(spool_.record(i, cache_, max_cached_, clock_, unpacked_, dctx_->d));
}

void EventSpool::release_block(size_t b) {
  blocks_[b] = Block{};
  for (Cached& c : cache_) {
    if (c.block != b) continue;
    c = Cached{};  // its decompressed copy too
  }
  spare_.reset();
  if (zstd_->c != nullptr) {
    ZSTD_freeCCtx(zstd_->c);
    zstd_->c = nullptr;
    zstd_->out.reset();
    zstd_->out_capacity = 0;
  }
}

size_t EventSpool::bytes() const {
  size_t n = records_.capacity() * sizeof(Rec) + scratch_.capacity() + zstd_->out_capacity;
  for (const Block& b : blocks_) {
    if (b.data) n += b.packed || &b != &blocks_.back() ? b.size : open_capacity_;
  }
  for (const Cached& c : cache_) n += c.capacity;
  for (const std::string& name : names_) n += sizeof(std::string) + name.capacity();
  return n;
}

}  // namespace xr::xapi

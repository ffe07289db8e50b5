// EventSpool: the events of a full resync (event.from's whole-pool dump) kept in a compact
// binary form instead of as decoded xapi::Values, so that a large pool's first dump costs
// a small fraction of its decoded size while the consumer waits for its last object (every
// object must be known before any can be mapped: records refer to objects later in the dump).
// Written by the event loop as the dump streams in; read by the consumer, record by record.
// Struct member names are interned (XAPI repeats the same few hundred field names) and every
// full 1 MiB block is zstd-compressed; a few decompressed blocks are cached for reading (the
// consumer reads mostly in order). The encoding round-trips every Value exactly (type, wire
// order, text). Not thread-safe, reads included (they share the block cache); a Reader lets
// one more thread read at the same time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "xapi/event.h"
#include "xapi/response_decoder.h"
#include "xapi/value.h"

namespace xr::xapi {

class EventSpool {
 public:
  EventSpool();
  ~EventSpool();
  EventSpool(EventSpool&&) noexcept;
  EventSpool& operator=(EventSpool&&) noexcept;

  // Appends one event (its snapshot is encoded, then dropped).
  void add(Event&& e);

  // Appends the events of a streamed event.from result as the JSON parser produces them
  // (StreamSpec::sax), encoding each straight from the parser's events, without building
  // Values: the same records as add(event_from_value(item)), the same errors for an item
  // that is not an event. Events whose operation is `skip_operation` are dropped (a full
  // dump's "del"). Uses the spool it was made for; not thread-safe either.
  class SaxEncoder;
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

  // The event's class, operation, ref and its snapshot's "uuid" (text; "" when absent),
  // without decoding the snapshot. The views last until the next read of another event.
  struct Header {
    std::string_view cls, operation, ref, uuid;
  };
  Header header(size_t i) const;
  // Decodes the snapshot of event i.
  Value snapshot(size_t i) const;
  // The same with only the snapshot's members named in `fields` (the others are skipped
  // without being decoded), for a consumer that reads a few fields of big records.
  // REQUIRES: `fields` outlives the spool (a static list: it is remembered by address).
  Value snapshot(size_t i, std::span<const std::string_view> fields) const;
  // Bytes held (blocks, name table, record index), for logs and benchmarks.
  size_t bytes() const;
  // Blocks compressed / decompressed so far (reads out of order cost decompressions).
  size_t blocks_packed() const { return packed_; }

  // The records are stored in blocks; a consumer done with a block can free it early.
  size_t block_count() const { return blocks_.size(); }
  size_t block_of(size_t i) const { return records_[i].block; }
  // Frees block b (and the compressor's state: no add() is expected any more).
  // REQUIRES: no later header() / snapshot() of a record in block b.
  void release_block(size_t b);
  // Counts a Reader's decompressions once it is destroyed.
  size_t blocks_unpacked() const { return unpacked_; }

  // A reader with its own decompressed blocks and zstd context, for a second thread: it and
  // the spool's own header() / snapshot() may run at the same time on different threads.
  // REQUIRES: no add() while it exists; release_block(b) only once neither reads block b
  // any more (its own copy of b, if cached, is freed when it evicts it or is destroyed).
  // Destroy it on the thread that owns the spool.
  class Reader;

 private:
  // Memory mapped for itself rather than taken from the heap: freeing it gives its pages
  // back to the system at once (a released block lowers the RSS; heap holes would not).
  class Pages {
   public:
    Pages() = default;
    explicit Pages(size_t n);  // throws std::bad_alloc as new[] would
    ~Pages() { reset(); }
    Pages(Pages&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    Pages& operator=(Pages&& o) noexcept;
    char* get() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }
    void reset();

   private:
    char* p_ = nullptr;
    size_t n_ = 0;
  };
  struct Rec {
    uint32_t block;
    uint32_t offset;  // in the block's raw bytes: the header, then the snapshot
  };
  struct Block {
    Pages data;  // zstd frame once packed, else raw bytes
    size_t size = 0;               // bytes of data
    size_t raw_size = 0;           // bytes once decompressed
    bool packed = false;
  };
  struct Cached {
    size_t block = SIZE_MAX;
    uint64_t used = 0;  // LRU clock
    Pages raw;
    size_t capacity = 0;
  };

  // `parent`: the name id of the member holding v (kTop for the snapshot itself).
  void put(const Value& v, uint32_t parent);
  void put_text(std::string_view s) { put_text(scratch_, s); }
  void put_varint(uint64_t n) { put_varint(scratch_, n); }
  static void put_text(std::string& out, std::string_view s);
  static void put_varint(std::string& out, uint64_t n);
  uint32_t name_id(std::string_view name);
  // The id of member `name` given the previous member's id in the same struct (or, for the
  // first member, the struct's own member name): records of a class repeat the same member
  // sequence, so the guess of the last record of that shape usually holds, without hashing.
  uint32_t next_name_id(std::string_view name, uint32_t prev, bool first);
  // A container's tag and a 4-byte count to be patched once its members are known.
  size_t put_container(uint8_t tag);
  void patch_count(size_t at, uint32_t count);
  void pack_last_block();
  // Appends one encoded record, given in two pieces (header, snapshot).
  void append_record(std::string_view head, std::string_view body);
  const char* record(size_t i) const;
  // Record i through a reader's own block cache (LRU, at most max_cached blocks).
  const char* record(size_t i, std::vector<Cached>& cache, size_t max_cached, uint64_t& clock,
                     size_t& unpacked, void* dctx) const;
  static Header header_at(const char* rec);
  Value snapshot_at(const char* rec) const;

  static constexpr size_t kBlockBytes = 1 << 20;
  static constexpr size_t kCachedBlocks = 4;
  std::vector<Block> blocks_;  // the last one is open (raw) for appends
  size_t open_capacity_ = 0;   // of the last block
  Pages spare_;                // a packed block's raw kBlockBytes, for the next open block
  std::vector<Rec> records_;
  std::string scratch_;  // one record being encoded
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> name_ids_;  // looked up on a guess miss only
  std::vector<uint32_t> after_, first_in_;  // guesses by previous member / by parent
  static constexpr uint32_t kTop = 0;        // id of "" (interned first): the snapshot's parent
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;  // compression and decompression contexts
  mutable std::vector<Cached> cache_;
  mutable uint64_t clock_ = 0;
  mutable size_t unpacked_ = 0;
  // Per field list given to snapshot(i, fields): by name id, 1 wanted, 0 not, -1 not known yet.
  mutable std::vector<std::pair<const std::string_view*, std::vector<int8_t>>> wanted_;
  size_t packed_ = 0;
};

class EventSpool::Reader {
 public:
  // Keeps at most `cached_blocks` decompressed blocks (it reads mostly in order).
  explicit Reader(const EventSpool& spool, size_t cached_blocks = 2);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  Header header(size_t i);
  Value snapshot(size_t i);

 private:
  const EventSpool& spool_;
  std::vector<Cached> cache_;
  size_t max_cached_;
  uint64_t clock_ = 0;
  size_t unpacked_ = 0;
  struct Dctx;
  std::unique_ptr<Dctx> dctx_;
};

class EventSpool::SaxEncoder final : public ItemSax {
 public:
  SaxEncoder(EventSpool& spool, std::string skip_operation);
  void null() override;
  void boolean(bool b) override;
  void integer(int64_t i) override;
  void real(double d) override;
  void string(std::string_view s) override;
  void key(std::string_view k) override;
  void start_object() override;
  void end_object() override;
  void start_array() override;
  void end_array() override;
  Status end_item() override;

 private:
  enum class Field { kOther, kClass, kOperation, kRef, kSnapshot };
  struct Frame {
    size_t count_at;  // where put_container left the count
    uint32_t count = 0;
    bool is_struct;
    uint32_t parent;  // name id of the member holding the container (kTop: the snapshot)
    uint32_t prev;    // last member's name id (structs)
    bool first = true;
    uint32_t key = 0;  // name id of the member whose value comes next (structs)
  };
  // Whether the next value belongs to the snapshot (encoded) rather than the event.
  bool in_snapshot() const { return !frames_.empty() || (depth_ == 1 && field_ == Field::kSnapshot); }
  // Counts a value in the open container and returns the name id its own members hang from.
  uint32_t begin_value();
  void text_field(std::string_view s);

  EventSpool& spool_;
  std::string skip_;
  size_t depth_ = 0;  // open containers of the event outside the snapshot
  bool is_struct_ = false;
  Field field_ = Field::kOther;
  bool uuid_next_ = false;  // the next value is the snapshot's own "uuid" member
  bool has_snapshot_ = false;
  bool uuid_seen_ = false;
  std::string cls_, operation_, ref_, uuid_;
  std::string head_;           // the record's header, built at the end of the item
  std::vector<Frame> frames_;  // open containers of the snapshot (encoded into scratch_)
};

}  // namespace xr::xapi

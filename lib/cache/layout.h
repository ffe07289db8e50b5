// The shared-memory layout of the object cache: the one header that describes every byte
// of the segment. Included by the writer (poller process) and the readers (worker threads).
// Plain data only; nothing here blocks.
//
// FORMAT (version 1). All integers are little-endian host integers, every offset is a byte
// offset relative to the start of the region named in its comment (never a pointer), and
// every structure is 8-byte aligned. The segment is a memfd created and initialised by the
// master before fork (segment.h); the poller is its ONLY writer, the workers only read.
//
//   [SegmentHeader]                 at 0, one 4 KiB page; its second half holds the
//                                   ControlBlock (other roles' atomics, see below)
//   [PoolStatusSlot x kMaxPools]    at header.pools_off
//   [CollectionName x kMaxCollections] at header.names_off
//   [ChangeEntry x log_capacity]    at header.log_off (a ring)
//   [half 0][half 1]                at header.half_off[0|1], header.half_bytes each
//
// Object data lives in two equal "halves" (a semi-space arena). Exactly one half is active
// (header.active_half). The writer appends into the active half with a bump pointer and never
// modifies a byte it has published, with two exceptions that are single aligned 64-bit atomic
// stores: hash-index slots and collection-array entries (they switch from one record version
// to a newer one, or to "removed"). Records, arrays and index tables are therefore immutable
// once reachable, and an upsert never disturbs a reader: the reader sees the old or the new
// version, both intact.
//
// When the active half is full, or earlier once the garbage written since the last
// compaction exceeds a quarter of the live data (to bound resident memory), the writer COMPACTS: it copies the live records, in order,
// into the other half with fresh arrays and a fresh hash index, then makes that half active
// and retires the old one (madvise(MADV_REMOVE) gives its pages back). Reuse of memory happens
// only there, and it is guarded by a per-half generation, seqlock style:
//   half_gen[h] is even while h is active and stable, odd while h is retired or being filled.
// A reader loads active_half (acquire), then g = half_gen[a] (acquire; odd -> start again),
// reads, then re-checks half_gen[a] == g after an acquire fence. A mismatch means the memory
// may have been reused under it: it discards what it read and starts again on the new active
// half. Because torn data is possible in that case, readers bounds-check every offset and
// length they take from the segment against the half (and every record field against the
// record) before dereferencing it, and JSON scanning never passes the end of its span; a
// reader that raced a compaction can read garbage but never out of bounds, and never keeps it.
// A reader holds no lock, pin or slot: a dead reader leaves nothing behind, and the writer
// never waits.
//
// Why this scheme: a per-object seqlock would make every update a potential torn read and
// retry for readers of that object, and variable-length data could not be reused safely
// without validating every byte; epoch/hazard reclamation needs reader registration that a
// killed worker leaves pinned and makes the writer wait. Immutable records in a semi-space
// make an update invisible to readers until one atomic store, confine memory reuse to
// compactions (rare: the writer compacts only after garbage worth a quarter of the live
// data accumulated), and need nothing from readers. The price is transient memory (the
// target half fills while the source is still mapped) and a copy of the live data per
// compaction (about 0.1 s for 10,000 VMs' worth of objects).
//
// Inside a half (offsets relative to the half's start):
//   HalfHeader at 0: capacity, bump pointer, the hash index reference, one CollectionDir per
//     collection index.
//   IndexHeader + slots: open-addressing hash table (linear probing) over all collections.
//     A slot is a packed uint64: bits 0..31 record offset / 8, bits 32..39 collection index,
//     bits 40..63 a hash tag; 0 = empty, kTombstone = removed. Grows by building a new table
//     and publishing its offset in index_ref; the old table is left intact.
//   ArrayHeader + ArrayEntry[capacity]: per collection, objects in INSERTION ORDER (the order
//     XO uses: order of first appearance). An entry holds the object's order key (immutable)
//     and its current record offset (0 = removed). Updates replace the record in place, so
//     iteration order is stable; compaction drops removed entries and keeps the order.
//     Grows by copying into a bigger array and publishing array_ref (readers of the old array
//     see a consistent older state). Readers clamp CollectionDir::length to the capacity.
//   Records (RecordHeader + payload), see below.
//
// A record is one version of one XO object:
//   RecordHeader | [id bytes] | pad to 4 | MemberEntry[member_count] | EscapeEntry[escape_count]
//   | JSON text (json_len bytes) | unescaped copies | pad to 8.
// The JSON text is the compact serialisation of the whole object (RapidJSON Writer: no
// whitespace, UTF-8 unescaped, only '"', '\\' and control characters escaped), so GET of one
// object and fields=* are one memcpy. MemberEntry gives, for each top-level member, the span
// of its ready-made `"key":value` piece and a 16-bit hash of its key, so projection is a
// hash compare and a memcpy per field. Strings are not
// stored twice: a string's text IS its value unless it contains a backslash escape; those
// (rare in XO data) have an EscapeEntry (sorted by text_off) pointing at an unescaped copy.
// Numbers are parsed from their text on demand (filters only). Likewise the id: when the
// object's "id" member holds it verbatim, id_off points into the JSON text and the id bytes
// after the header are omitted.
//
// Pool status slots and change-log entries use their own seqlock (seq odd / 0 while the
// writer fills them). The change log is a ring: entry for sequence number s lives at
// s % log_capacity; last_change_seq is published after the entry; change_futex (low 32 bits
// of last_change_seq, updated at the end of each batch) is a shared futex word for wake-ups.
// A reader asking for s < last_change_seq - log_capacity + 1 has fallen behind.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace xr::cache::layout {

inline constexpr uint64_t kMagic = 0x3145484341435258ULL;  // "XRCACHE1"
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderBytes = 4096;
inline constexpr uint32_t kMaxCollections = 64;
inline constexpr uint32_t kMaxPools = 64;
inline constexpr uint32_t kNameBytes = 48;      // collection name, bytes
inline constexpr uint32_t kMaxIdBytes = 80;     // object id, bytes
inline constexpr uint32_t kPoolKeyBytes = 64;   // pool key / pool id, bytes
inline constexpr uint32_t kPoolErrorBytes = 256;
inline constexpr uint64_t kTombstone = ~uint64_t{0};

struct SegmentHeader {
  uint64_t magic;
  uint32_t version;
  uint32_t header_bytes;
  uint64_t segment_bytes;
  uint64_t pools_off;  // PoolStatusSlot[kMaxPools]
  uint64_t names_off;  // CollectionName[kMaxCollections]
  uint64_t log_off;    // ChangeEntry[log_capacity]
  uint32_t log_capacity;
  uint32_t instance;   // random, written once at creation: tells this segment from an earlier one
                       // (workers put it in list ETags next to last_change_seq)
  uint64_t half_off[2];
  uint64_t half_bytes;
  std::atomic<uint32_t> active_half;
  std::atomic<uint32_t> change_futex;     // low 32 bits of last_change_seq, per batch
  std::atomic<uint64_t> half_gen[2];      // even = active and stable, odd = retired / filling
  std::atomic<uint64_t> last_change_seq;  // 0 = no change yet; first change is 1
  std::atomic<uint32_t> collection_count; // names [0, count) are valid
  std::atomic<uint32_t> writer_pid;       // informational
  std::atomic<uint64_t> batch_seq;        // odd while a batch is being applied
  std::atomic<uint64_t> compactions;      // statistics, writer-maintained
  std::atomic<uint64_t> full_errors;
  std::atomic<uint64_t> live_bytes;       // record bytes reachable after the last operation
  uint64_t next_order;                    // writer-private: next insertion order key
  // Bumped (and futex-woken) after every pool status slot update, so a mutation's
  // read-your-writes barrier (PoolStatusSlot::event_gen) sleeps instead of polling.
  std::atomic<uint32_t> status_futex;
  uint32_t reserved_status;
};

// The control block: atomics written by roles OTHER than the poller (each field names its
// writers), at kControlOffset inside the header page, zero when the master creates the
// segment. Add a field at the end of the used part, keep the struct within the page; never
// a second shared segment. Counters only grow (wrap-around is harmless for futex words).
inline constexpr uint32_t kControlOffset = 2048;

// One rate-limit slot (fcgi-app/worker/rate_limiter.h): `key` a hash of (kind, token or
// user), 0 = free; `tat_us` the GCRA's theoretical arrival time, CLOCK_MONOTONIC µs. Written
// by every worker thread with compare-and-swap; a slot whose time has passed is idle and
// may be claimed for another key (CAS on `key`).
struct RateSlot {
  std::atomic<uint64_t> key;
  std::atomic<int64_t> tat_us;
};
inline constexpr uint32_t kRateSlots = 96;

struct ControlBlock {
  // Job queue (lib/tasks): bumped by whoever enqueues a job (workers, other roles) after
  // the row is committed; the runner futex-waits on it. Wake with FUTEX_WAKE all.
  std::atomic<uint32_t> jobs_queued;
  // Task changes (lib/tasks): bumped by whoever writes a task/job row (runner on progress
  // and outcome, workers on DELETE/abort, other roles on their own tasks) after the commit;
  // waiters (wait=result, watch streams) futex-wait on it and re-read the store (rows carry
  // a revision, lib/tasks, to learn what changed).
  std::atomic<uint32_t> tasks_changed;
  // The runner process's pid while it runs (informational; written by the runner).
  std::atomic<uint32_t> runner_pid;
  uint32_t reserved0;
  // Password-hash slots (fcgi-app/worker/login_guard.h): a slot holds the thread id of the
  // worker thread running one argon2id check, or 0; bounds those checks across workers.
  // A slot whose thread no longer exists (killed worker) is taken back by the next taker.
  std::atomic<uint32_t> login_hash_slots[4];
  // Poller heartbeat (issue 17): unix ms, written by the poller's main loop about every
  // second (0 before its first). Older than kPollerHeartbeatStaleMs, readers report every
  // pool as stale (Reader::pool_statuses); silent kPollerSilenceMs, the master kills the
  // poller and starts another.
  std::atomic<int64_t> poller_heartbeat_ms;
  uint64_t reserved[56];  // room for other rooms' fields (take from here, keep the size)
  // Credentials generation (fcgi-app/worker/credential_cache.h): bumped after every
  // revocation, user deletion or password change committed by a serving process, and by the
  // master when the database's own counter (auth_generation, changed by the CLI or another
  // node) moves. A worker's cached credential is valid only under the generation it was
  // verified in, so one increment empties every worker's credential cache at once.
  std::atomic<uint64_t> credentials_gen;
  // Rate limits in front of XAPI (issue 17, controls): per token (or Basic user), on
  // mutations and on actions, counted here so that every worker process sees them.
  RateSlot rate_slots[kRateSlots];
};
static_assert(sizeof(ControlBlock) == 2 * 8 + 4 * 4 + 58 * 8 + kRateSlots * 16, "ControlBlock keeps its size");
static_assert(kControlOffset + sizeof(ControlBlock) <= 4096, "the ControlBlock stays in the header page");

inline constexpr int64_t kPollerHeartbeatStaleMs = 3000;
inline constexpr int64_t kPollerSilenceMs = 6000;

inline ControlBlock* control_block(void* segment_base) {
  return reinterpret_cast<ControlBlock*>(static_cast<char*>(segment_base) + kControlOffset);
}

struct CollectionName {
  uint32_t len;
  uint32_t reserved;
  char name[kNameBytes];  // written before collection_count is published, then never again
};

enum class PoolState : uint32_t { kUnused = 0, kConnecting = 1, kConnected = 2, kDisconnected = 3 };

struct PoolStatusSlot {
  std::atomic<uint32_t> seq;  // odd while the writer updates the slot
  uint32_t state;             // PoolState
  uint32_t key_len;
  uint32_t pool_id_len;
  uint32_t error_len;
  uint32_t ever_synced;       // 1 once a full sync completed
  int64_t last_sync_ms;       // unix ms of the last complete sync / event batch, 0 = never
  int64_t updated_ms;         // unix ms of this status update
  // XAPI event generation (first number of event.from's token) of the last batch applied
  // to the cache: a change XAPI made at generation g is visible once event_gen > g - 1.
  uint64_t event_gen;
  // unix ms up to which the pool's objects are known current: the last moment its event
  // stream was healthy (readers take "now" while it is reported connected).
  int64_t fresh_ms;
  char key[kPoolKeyBytes];    // the configured server's key (address or label)
  char pool_id[kPoolKeyBytes];
  char last_error[kPoolErrorBytes];
};

enum class ChangeOp : uint8_t { kUpdate = 1, kRemove = 2 };

struct ChangeEntry {
  std::atomic<uint64_t> seq;  // the sequence number stored here; 0 while being written
  uint16_t collection;
  uint8_t op;                 // ChangeOp
  uint8_t id_len;
  uint32_t reserved;
  char id[kMaxIdBytes];
};

struct CollectionDir {
  std::atomic<uint64_t> array_ref;  // offset of ArrayHeader in the half, 0 = none yet
  std::atomic<uint32_t> length;     // entries used (including removed ones)
  std::atomic<uint32_t> live;       // objects present
};

struct HalfHeader {
  uint64_t capacity;               // bytes of the half
  std::atomic<uint64_t> used;      // bump pointer (writer); informational for readers
  std::atomic<uint64_t> index_ref; // offset of IndexHeader in the half
  uint64_t reserved;
  CollectionDir dirs[kMaxCollections];
};

struct IndexHeader {
  uint64_t slots;  // power of two; std::atomic<uint64_t> slot[slots] follows
  uint64_t used;   // writer-private: live + tombstones
};

struct ArrayHeader {
  uint32_t capacity;  // ArrayEntry[capacity] follows
  uint32_t reserved;
};

struct ArrayEntry {
  uint64_t order;                // insertion order key, immutable once written
  std::atomic<uint64_t> record;  // record offset in the half, 0 = removed
};

struct RecordHeader {
  uint32_t bytes;         // whole record, multiple of 8
  uint16_t collection;
  uint16_t id_len;
  uint64_t order;         // insertion order key (kept across updates)
  uint32_t slot;          // index of this object's ArrayEntry in its collection array
  uint32_t member_count;  // MemberEntry[member_count] at members_off
  uint32_t members_off;   // offsets relative to the record start
  uint32_t escapes_off;
  uint32_t escape_count;
  uint32_t json_off;
  uint32_t json_len;
  uint32_t id_off;        // the id bytes: inside the JSON text (the "id" member's value) when
                          // they are equal, else right after the header
};

// One top-level member. piece_off is relative to the start of the JSON text and points at
// the key's opening quote; the key text is [piece_off + 1, piece_off + 1 + key_len), the
// value starts at piece_off + key_len + 3 (after `":`) and ends where the next member's
// piece starts minus one (the comma), or at json_len - 1 (the closing brace) for the last.
// So `"key":value` is [piece_off, value_end). key_len == kLongKey means "longer than 65534
// bytes or containing escapes: skip the key string to find the value, unescape to compare".
// key_hash = member_key_hash(unescaped key).
struct MemberEntry {
  uint32_t piece_off;
  uint16_t key_len;
  uint16_t key_hash;
};
inline constexpr uint16_t kLongKey = 0xFFFF;

inline uint16_t member_key_hash(const char* key, std::size_t len) {
  uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < len; ++i) h = (h ^ static_cast<unsigned char>(key[i])) * 16777619u;
  return static_cast<uint16_t>(h ^ (h >> 16));
}

// A JSON string token containing escapes: its opening quote at text_off (relative to the
// JSON text) and the unescaped bytes at copy_off (relative to the record), copy_len long.
struct EscapeEntry {
  uint32_t text_off;
  uint32_t copy_off;
  uint32_t copy_len;
};

inline constexpr uint64_t align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Slot packing of the hash index.
inline constexpr uint64_t pack_slot(uint64_t record_off, uint32_t collection, uint64_t hash) {
  return (record_off >> 3) | (uint64_t{collection} << 32) | ((hash >> 40) << 40);
}
inline constexpr uint64_t slot_record(uint64_t slot) { return (slot & 0xffffffffULL) << 3; }
inline constexpr uint32_t slot_collection(uint64_t slot) { return (slot >> 32) & 0xff; }
inline constexpr bool slot_tag_matches(uint64_t slot, uint64_t hash) {
  return (slot >> 40) == (hash >> 40);
}

// FNV-1a over the collection index and the id: the same in every process of one binary.
inline uint64_t key_hash(uint32_t collection, const char* id, uint32_t len) {
  uint64_t h = 1469598103934665603ULL ^ collection;
  for (uint32_t i = 0; i < len; ++i) {
    h ^= static_cast<unsigned char>(id[i]);
    h *= 1099511628211ULL;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 32);
}

#define XR_CACHE_SHARED(T)                                                   \
  static_assert(std::is_trivially_destructible_v<T>, #T " must be trivial"); \
  static_assert(std::is_standard_layout_v<T>, #T " must be standard layout"); \
  static_assert(alignof(T) <= 8 && sizeof(T) % 4 == 0, #T " alignment")
XR_CACHE_SHARED(SegmentHeader);
XR_CACHE_SHARED(ControlBlock);
XR_CACHE_SHARED(CollectionName);
XR_CACHE_SHARED(PoolStatusSlot);
XR_CACHE_SHARED(ChangeEntry);
XR_CACHE_SHARED(CollectionDir);
XR_CACHE_SHARED(HalfHeader);
XR_CACHE_SHARED(IndexHeader);
XR_CACHE_SHARED(ArrayHeader);
XR_CACHE_SHARED(ArrayEntry);
XR_CACHE_SHARED(RecordHeader);
XR_CACHE_SHARED(MemberEntry);
XR_CACHE_SHARED(EscapeEntry);
#undef XR_CACHE_SHARED
// Plain-data parts must be bit-copyable (compaction memcpy's records).
static_assert(std::is_trivially_copyable_v<RecordHeader>);
static_assert(std::is_trivially_copyable_v<MemberEntry>);
static_assert(std::is_trivially_copyable_v<EscapeEntry>);
static_assert(std::is_trivially_copyable_v<CollectionName>);
static_assert(std::is_trivially_copyable_v<IndexHeader>);
static_assert(std::is_trivially_copyable_v<ArrayHeader>);
// Cross-process atomics must be address-free, i.e. lock-free.
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);
static_assert(sizeof(SegmentHeader) <= kControlOffset);
static_assert(kControlOffset + sizeof(ControlBlock) <= kHeaderBytes);
static_assert(sizeof(ChangeEntry) == 96);
static_assert(sizeof(ArrayEntry) == 16);
static_assert(sizeof(RecordHeader) == 48);
static_assert(sizeof(MemberEntry) == 8);
static_assert(sizeof(std::atomic<uint64_t>) == 8 && sizeof(std::atomic<uint32_t>) == 4);

}  // namespace xr::cache::layout

// Id16Map: an open-addressing hash map Id16 -> Handle (linear probing, backward-shift
// erase, 24 bytes a slot), for ModelState's ref and uuid indexes: one cache miss per
// lookup where std::unordered_map takes three. Single-threaded plain data; never blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xr::xo {

// 16 bytes standing for a canonical lower-case uuid ("8-4-4-4-12" hex), so that the
// ~100k uuids and OpaqueRefs of a big pool cost 16 bytes each instead of ~80.
struct Id16 {
  uint64_t hi = 0, lo = 0;
  bool operator==(const Id16&) const = default;
};
struct Id16Hash {
  size_t operator()(const Id16& k) const {
    return static_cast<size_t>((k.hi ^ (k.lo * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL >>
                               7);
  }
};

// An object slot: index in the slot table (low 32 bits) and the slot's generation (high
// 32 bits), so a handle kept after its object was deleted never reaches a newer object.
using Handle = uint64_t;
inline constexpr Handle kNoHandle = 0;

class Id16Map {
 public:
  // The handle stored for `key`, or nullptr.
  const Handle* find(const Id16& key) const;
  Handle* find(const Id16& key) {
    return const_cast<Handle*>(static_cast<const Id16Map*>(this)->find(key));
  }
  // Inserts or replaces. REQUIRES: h != kNoHandle.
  void set(const Id16& key, Handle h);
  // True when the key was present.
  bool erase(const Id16& key);
  size_t size() const { return size_; }
  // Room for n keys without growing.
  void reserve(size_t n);
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.h != kNoHandle) f(s.key, s.h);
    }
  }

 private:
  struct Slot {
    Id16 key;
    Handle h = kNoHandle;  // kNoHandle: empty
  };
  size_t home(const Id16& key) const { return Id16Hash{}(key) & (slots_.size() - 1); }
  void rehash(size_t capacity);

  std::vector<Slot> slots_;  // power-of-two size, or empty
  size_t size_ = 0;
};

}  // namespace xr::xo

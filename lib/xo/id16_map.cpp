#include "xo/id16_map.h"

#include <utility>

namespace xr::xo {

const Handle* Id16Map::find(const Id16& key) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = home(key);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.h == kNoHandle) return nullptr;
    if (s.key == key) return &s.h;
  }
}

void Id16Map::set(const Id16& key, Handle h) {
  if (Handle* found = find(key)) {
    *found = h;
    return;
  }
  if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.empty() ? 16 : slots_.size() * 2);
  const size_t mask = slots_.size() - 1;
  size_t i = home(key);
  while (slots_[i].h != kNoHandle) i = (i + 1) & mask;
  slots_[i] = Slot{key, h};
  ++size_;
}

bool Id16Map::erase(const Id16& key) {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  size_t i = home(key);
  while (!(slots_[i].key == key) || slots_[i].h == kNoHandle) {
    if (slots_[i].h == kNoHandle) return false;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: move up every following entry that may live at `i`.
  for (size_t j = (i + 1) & mask; slots_[j].h != kNoHandle; j = (j + 1) & mask) {
    const size_t k = home(slots_[j].key);
    // Entry j may move to i when its home is not cyclically within (i, j].
    const bool in_range = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (in_range) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{};
  --size_;
  return true;
}

void Id16Map::reserve(size_t n) {
  size_t capacity = slots_.empty() ? 16 : slots_.size();
  while (n * 4 > capacity * 3) capacity *= 2;
  if (capacity != slots_.size()) rehash(capacity);
}

void Id16Map::rehash(size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  const size_t mask = capacity - 1;
  for (const Slot& s : old) {
    if (s.h == kNoHandle) continue;
    size_t i = home(s.key);
    while (slots_[i].h != kNoHandle) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace xr::xo

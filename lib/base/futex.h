// Cross-process wake-ups on a 32-bit word in shared memory (Linux futex, shared, not
// private). Any thread, any process mapping the word. futex_wait blocks up to its timeout.
#pragma once

#include <atomic>
#include <cstdint>

namespace xr {

// Blocks while *word == seen, at most timeout_ms (spurious wake-ups are possible: callers
// re-check their condition). Returns at once when the word already differs.
void futex_wait(const std::atomic<uint32_t>* word, uint32_t seen, int64_t timeout_ms);

// Wakes every waiter on `word` (call after changing it).
void futex_wake_all(std::atomic<uint32_t>* word);

// Increments *word and wakes every waiter: the "something changed" signal.
inline void futex_bump(std::atomic<uint32_t>* word) {
  word->fetch_add(1, std::memory_order_acq_rel);
  futex_wake_all(word);
}

}  // namespace xr

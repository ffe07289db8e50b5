// Admission of transfers across processes: `n` lock files in a directory; a transfer holds
// one of them locked (flock) for its lifetime. The kernel drops the lock when the holder
// closes it or dies, so a crashed process never keeps a slot. Non-blocking; any thread
// (each acquisition opens its own file description, so threads of one process exclude
// each other as processes do).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace xr::transfer {

class Slot {
 public:
  Slot(Slot&& o) noexcept : fd_(o.fd_), index_(o.index_) { o.fd_ = -1; }
  Slot& operator=(Slot&&) = delete;
  Slot(const Slot&) = delete;
  ~Slot();
  int index() const { return index_; }

 private:
  friend class SlotTable;
  Slot(int fd, int index) : fd_(fd), index_(index) {}
  int fd_;
  int index_;
};

class SlotTable {
 public:
  SlotTable(std::string dir, int slots) : dir_(std::move(dir)), slots_(slots) {}
  // A free slot, or nullopt when all `slots` are held; kIo if the files cannot be made.
  Result<std::optional<Slot>> try_acquire() const;
  // How many are held right now (for status pages and tests).
  int held() const;

 private:
  std::string path(int i) const;
  std::string dir_;
  int slots_;
};

}  // namespace xr::transfer

#include "transfer/slot_table.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xr::transfer {

Slot::~Slot() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

std::string SlotTable::path(int i) const { return dir_ + "/transfer-slot-" + std::to_string(i) + ".lock"; }

Result<std::optional<Slot>> SlotTable::try_acquire() const {
  for (int i = 0; i < slots_; ++i) {
    int fd = ::open(path(i).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return Status(ErrorKind::kIo, "transfer slot file: " + std::string(std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return std::optional<Slot>(Slot(fd, i));
    ::close(fd);
  }
  return std::optional<Slot>();
}

int SlotTable::held() const {
  int n = 0;
  for (int i = 0; i < slots_; ++i) {
    int fd = ::open(path(i).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) ++n;
    ::close(fd);
  }
  return n;
}

}  // namespace xr::transfer

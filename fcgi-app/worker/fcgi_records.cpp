#include "worker/fcgi_records.h"

#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace xr::app {

namespace {

constexpr unsigned char kVersion1 = 1;
constexpr unsigned char kStdout = 6;
// The largest content length that is a multiple of 8 (records need no padding but the last).
constexpr size_t kMaxContent = 65528;
constexpr int kMaxRecordsPerCall = 16;  // 3 iovecs each, well under IOV_MAX

struct RecordHeader {
  unsigned char bytes[8];
};

RecordHeader header_for(int request_id, size_t content, size_t padding) {
  return {{kVersion1, kStdout, static_cast<unsigned char>((request_id >> 8) & 0xff),
           static_cast<unsigned char>(request_id & 0xff),
           static_cast<unsigned char>((content >> 8) & 0xff),
           static_cast<unsigned char>(content & 0xff), static_cast<unsigned char>(padding), 0}};
}

// writev until every byte of iov[0..n) is written; iov is consumed.
bool write_all(int fd, iovec* iov, int n) {
  while (n > 0) {
    ssize_t w = ::writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    auto left = static_cast<size_t>(w);
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --n;
    }
    if (n > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace

void write_poison_record(int fd, int request_id) {
  RecordHeader h = header_for(request_id, 0, 0);
  h.bytes[0] = 0;  // no such FastCGI version
  iovec iov{h.bytes, sizeof h.bytes};
  (void)write_all(fd, &iov, 1);
}

bool write_stdout_records(int fd, int request_id, std::string_view data) {
  static constexpr char kZeros[8] = {};
  while (!data.empty()) {
    RecordHeader headers[kMaxRecordsPerCall];
    iovec iov[3 * kMaxRecordsPerCall];
    int n = 0;
    for (int r = 0; r < kMaxRecordsPerCall && !data.empty(); ++r) {
      const size_t content = data.size() < kMaxContent ? data.size() : kMaxContent;
      const size_t padding = (8 - content % 8) % 8;
      headers[r] = header_for(request_id, content, padding);
      iov[n++] = {headers[r].bytes, sizeof headers[r].bytes};
      iov[n++] = {const_cast<char*>(data.data()), content};
      if (padding > 0) iov[n++] = {const_cast<char*>(kZeros), padding};
      data.remove_prefix(content);
    }
    if (!write_all(fd, iov, n)) return false;
  }
  return true;
}

}  // namespace xr::app

#include "transfer/nbd_reader.h"

#include <libnbd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace xr::transfer {
namespace {

constexpr uint64_t kBlock = 2u << 20;
constexpr uint64_t kAlign = 512;

std::string nbd_error_text() {
  const char* e = nbd_get_error();
  return e ? e : "unknown libnbd error";
}

// One connection; nullptr (and *why) when this endpoint refuses.
nbd_handle* connect_one(const NbdEndpoint& e, std::string* why) {
  nbd_handle* h = nbd_create();
  if (h == nullptr) {
    *why = nbd_error_text();
    return nullptr;
  }
  // xapi-nbd offers only EXPORT_NAME (libnbd falls back to it) and fixed newstyle.
  bool ok = nbd_set_export_name(h, e.exportname.c_str()) == 0;
  if (ok && e.tls) {
    // As Xen Orchestra: TLS when the server wants it, the host certificate not verified
    // (its name is the host's, the address an IP); see lib/transfer/README.md.
    ok = nbd_set_tls(h, LIBNBD_TLS_ALLOW) == 0 && nbd_set_tls_verify_peer(h, false) == 0;
  }
  ok = ok && nbd_connect_tcp(h, e.address.c_str(), std::to_string(e.port).c_str()) == 0;
  if (!ok) {
    *why = nbd_error_text();
    nbd_close(h);
    return nullptr;
  }
  return h;
}

}  // namespace

Result<std::unique_ptr<NbdReader>> NbdReader::open(const std::vector<NbdEndpoint>& endpoints, int connections) {
  std::unique_ptr<NbdReader> r(new NbdReader());
  std::string why = "no NBD server offered";
  connections = std::clamp(connections, 1, 16);
  for (int i = 0; i < connections; ++i) {
    nbd_handle* h = nullptr;
    for (const auto& e : endpoints) {
      if ((h = connect_one(e, &why)) != nullptr) break;
    }
    if (h == nullptr) break;
    r->handles_.push_back(h);
  }
  if (r->handles_.empty()) return Status(ErrorKind::kUnavailable, "NBD: " + why);
  int64_t size = nbd_get_size(static_cast<nbd_handle*>(r->handles_[0]));
  if (size < 0) return Status(ErrorKind::kProtocol, "NBD size: " + nbd_error_text());
  r->size_ = static_cast<uint64_t>(size);
  return r;
}

NbdReader::~NbdReader() {
  for (void* h : handles_) {
    nbd_shutdown(static_cast<nbd_handle*>(h), 0);
    nbd_close(static_cast<nbd_handle*>(h));
  }
}

Status NbdReader::read(uint64_t offset, uint64_t length, const std::function<Status(std::string_view)>& sink,
                       const std::atomic<bool>* cancel) {
  if (offset > size_ || length > size_ - offset)
    return Status(ErrorKind::kInvalidArgument, "NBD read past the end of the disk");
  std::vector<Piece> pieces;
  uint64_t end = offset + length;
  for (uint64_t at = offset; at < end;) {
    uint64_t next = std::min(end, (at / kBlock + 1) * kBlock);
    uint64_t from = at / kAlign * kAlign;
    uint64_t to = std::min(size_, (next + kAlign - 1) / kAlign * kAlign);
    pieces.push_back({from, to - from, at - from, next - at});
    at = next;
  }
  return run(pieces, sink, cancel);
}

Status NbdReader::read_blocks(const std::vector<uint32_t>& blocks,
                              const std::function<Status(std::string_view)>& sink,
                              const std::atomic<bool>* cancel) {
  std::vector<Piece> pieces;
  for (uint32_t b : blocks) {
    uint64_t at = uint64_t{b} * kBlock;
    if (at >= size_) return Status(ErrorKind::kInvalidArgument, "NBD block past the end of the disk");
    uint64_t n = std::min(kBlock, size_ - at);
    pieces.push_back({at, n, 0, n});
  }
  return run(pieces, sink, cancel);
}

// Connection k reads pieces k, k+n, ...; piece i goes into slot i % window and may be
// read once the delivery point has passed i - window (its slot is free again), so every
// connection has a request in flight while the sink consumes.
Status NbdReader::run(const std::vector<Piece>& pieces, const std::function<Status(std::string_view)>& sink,
                      const std::atomic<bool>* cancel) {
  const size_t n = handles_.size();
  const size_t window = n + 2;  // 2 MiB slots: 36 MiB at the most (16 connections)
  std::vector<std::string> slots(window, std::string(kBlock + 2 * kAlign, '\0'));
  std::vector<int> ready(window, 0);  // 1: slot holds piece (delivered + k)
  std::mutex mu;
  std::condition_variable cv;
  size_t delivered = 0;
  bool stop = false;
  Status failure = Status::ok();
  std::vector<std::thread> threads;
  for (size_t k = 0; k < n; ++k) {
    threads.emplace_back([&, k] {
      auto* h = static_cast<nbd_handle*>(handles_[k]);
      for (size_t i = k; i < pieces.size(); i += n) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return stop || i < delivered + window; });
          if (stop) return;
        }
        const Piece& p = pieces[i];
        std::string& buf = slots[i % window];
        if (nbd_pread(h, buf.data(), p.length, p.offset, 0) != 0) {
          std::lock_guard lock(mu);
          if (failure.is_ok()) failure = Status(ErrorKind::kTransport, "NBD read: " + nbd_error_text());
          stop = true;
          cv.notify_all();
          return;
        }
        std::lock_guard lock(mu);
        ready[i % window] = 1;
        cv.notify_all();
      }
    });
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stop || ready[i % window] == 1; });
      if (stop) break;
    }
    const Piece& p = pieces[i];
    Status s = cancel != nullptr && cancel->load() ? Status(ErrorKind::kCancelled, "cancelled")
                                                   : sink(std::string_view(slots[i % window]).substr(p.skip, p.keep));
    std::lock_guard lock(mu);
    if (!s.is_ok()) {
      failure = s;
      stop = true;
      cv.notify_all();
      break;
    }
    ready[i % window] = 0;
    ++delivered;
    cv.notify_all();
  }
  for (auto& t : threads) t.join();
  return failure;
}

}  // namespace xr::transfer

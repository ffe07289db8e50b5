// Reads a disk from XAPI's NBD servers (shared/reference/xapi.md §10) with libnbd over
// `n` connections in parallel: 2 MiB requests spread round-robin over the connections,
// delivered to the caller in disk order with bounded memory (n + 2 slots of 2 MiB). TLS when the server requires it (the export
// name carries the XAPI session). Blocking; one reader per transfer, used from one thread
// (it runs its own connection threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xr::transfer {

struct NbdEndpoint {
  std::string address;
  int port = 10809;
  std::string exportname;  // "/<vdi uuid>?session_id=<ref>"
  bool tls = false;        // the record has a certificate: the server may require TLS
};

class NbdReader {
 public:
  // Opens `connections` connections (1..16), each to the first endpoint that accepts one
  // (XO tries candidates the same way); kUnavailable when none could be opened.
  static Result<std::unique_ptr<NbdReader>> open(const std::vector<NbdEndpoint>& endpoints, int connections);
  ~NbdReader();

  uint64_t size() const { return size_; }
  int connections() const { return static_cast<int>(handles_.size()); }

  // Reads [offset, offset + length) (any alignment) and hands it to `sink` in order, in
  // pieces of at most 2 MiB. An error of the sink (the client went away) stops the reads;
  // `cancel` too.
  Status read(uint64_t offset, uint64_t length, const std::function<Status(std::string_view)>& sink,
              const std::atomic<bool>* cancel = nullptr);
  // The same for a list of 2 MiB blocks (by index): each block's bytes inside the disk.
  Status read_blocks(const std::vector<uint32_t>& blocks, const std::function<Status(std::string_view)>& sink,
                     const std::atomic<bool>* cancel = nullptr);

 private:
  struct Piece {
    uint64_t offset;  // 512-aligned read
    uint64_t length;
    uint64_t skip;    // bytes to drop at the start (unaligned range)
    uint64_t keep;    // bytes to hand over
  };
  Status run(const std::vector<Piece>& pieces, const std::function<Status(std::string_view)>& sink,
             const std::atomic<bool>* cancel);
  NbdReader() = default;
  std::vector<void*> handles_;  // struct nbd_handle*
  uint64_t size_ = 0;
};

}  // namespace xr::transfer

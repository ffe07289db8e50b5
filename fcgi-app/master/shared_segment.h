// The shared object cache segment, created by the master before any fork (memfd) so
// that the poller (writer) and every worker (readers) map the same memory. Children
// inherit it; nobody re-creates it on reload (its size is fixed for the master's life).
#pragma once

#include <memory>

#include "base/status.h"
#include "config/config.h"

namespace xr::app {

class SharedSegment {
 public:
  static Result<std::unique_ptr<SharedSegment>> create(const config::Config& config);
  ~SharedSegment();
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  // The cache's own handle (lib/cache), or null in a build without the cache.
  void* cache() const { return cache_; }

 private:
  SharedSegment() = default;
  void* cache_ = nullptr;
};

}  // namespace xr::app

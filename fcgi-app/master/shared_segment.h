// The shared object cache segment, created by the master before any fork (memfd) so
// that the poller (writer) and every worker (readers) map the same memory. Children
// inherit it; nobody re-creates it on reload (its size is fixed for the master's life).
#pragma once

#include <memory>

#include "base/status.h"
#include "cache/segment.h"
#include "config/config.h"

namespace xr::app {

class SharedSegment {
 public:
  static Result<std::unique_ptr<SharedSegment>> create(const config::Config& config);
  const cache::Segment& segment() const { return segment_; }

 private:
  explicit SharedSegment(cache::Segment segment) : segment_(std::move(segment)) {}
  cache::Segment segment_;
};

}  // namespace xr::app

#include "master/shared_segment.h"

namespace xr::app {

Result<std::unique_ptr<SharedSegment>> SharedSegment::create(const config::Config& config) {
  cache::SegmentOptions options;
  options.bytes = static_cast<uint64_t>(config.cache_size_mb) << 20;
  XR_ASSIGN_OR_RETURN(cache::Segment segment, cache::Segment::create(options));
  return std::unique_ptr<SharedSegment>(new SharedSegment(std::move(segment)));
}

}  // namespace xr::app

#include "master/shared_segment.h"

namespace xr::app {

Result<std::unique_ptr<SharedSegment>> SharedSegment::create(const config::Config&) {
  return std::unique_ptr<SharedSegment>(new SharedSegment());
}

SharedSegment::~SharedSegment() = default;

}  // namespace xr::app

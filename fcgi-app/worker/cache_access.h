// How the worker's routes reach the shared object cache: a Reader over the segment the
// master mapped before fork, plus the configured pool names. Shared by the request
// threads of one worker; reads never block.
#pragma once

#include "cache/reader.h"
#include "config/config.h"

namespace xr::app {

class CacheAccess {
 public:
  CacheAccess(const cache::Segment& segment, const config::Config& config)
      : reader_(segment), config_(config) {}
  const cache::Reader& reader() const { return reader_; }
  const config::Config& config() const { return config_; }

 private:
  cache::Reader reader_;
  const config::Config& config_;
};

}  // namespace xr::app

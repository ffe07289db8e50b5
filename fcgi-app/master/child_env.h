// What a forked child (poller or worker) receives from the master: the validated config,
// the FastCGI listening socket, its index within its role, and the shared segment.
// Read-only after fork.
#pragma once

#include "config/config.h"

namespace xr::app {

class SharedSegment;

struct ChildEnv {
  const config::Config& config;
  int listen_fd;                 // the FastCGI socket (workers accept on it)
  int index;                     // 1-based within the role
  SharedSegment* segment;        // the object cache mapping, created before fork
};

}  // namespace xr::app

// What a forked child (poller, worker, stream) receives from the master: the validated
// config, its role's FastCGI listening socket, its index within its role, and the shared segment.
// Read-only after fork.
#pragma once

#include "config/config.h"

namespace xr::app {

class SharedSegment;

struct ChildEnv {
  const config::Config& config;
  int listen_fd;                 // the FastCGI socket of the role (RoleSpec::socket)
  int index;                     // 1-based within the role
  SharedSegment* segment;        // the object cache mapping, created before fork
  int http_fd = -1;              // RoleSpec::http_socket's listening socket (-1: none)
};

}  // namespace xr::app

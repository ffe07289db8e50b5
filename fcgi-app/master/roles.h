// Process roles as data: each role's name, entry point, instance count, restart policy
// and FastCGI socket; and the socket table: every unix socket the master opens (created,
// chmod'ed, kept across reloads, removed on exit), each named and found from the config.
// The supervisor reads these tables; nothing else knows the roles. Master only.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "master/child_env.h"

namespace xr::app {

enum class RestartPolicy { kAlways, kNever };

// One FastCGI socket of the master. nginx sends a location to it (nginx/*.conf).
struct SocketSpec {
  std::string_view name;                             // "fcgi" (server.socket), "stream", ...
  std::string (*path)(const config::Config& config);  // where it listens
};

struct RoleSpec {
  std::string_view name;                          // "poller", "worker"
  int (*start)(const ChildEnv& env);               // the child's main; returns its exit code
  int64_t (*count)(const config::Config& config);  // instances wanted
  RestartPolicy restart;
  bool exclusive;  // at most one instance alive at any time, even across a reload
                   // (the poller is the cache's single writer)
  std::string_view socket = "fcgi";  // the SocketSpec its children accept on (ChildEnv::listen_fd)
  std::string_view http_socket = "";  // a second, plain-HTTP SocketSpec (ChildEnv::http_fd)
};

std::span<const RoleSpec> role_table();
std::span<const SocketSpec> socket_table();

}  // namespace xr::app

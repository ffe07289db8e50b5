// Process roles as data: each role's name, entry point, instance count and restart
// policy. The supervisor reads this table; nothing else knows the roles. Master only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "config/config.h"
#include "master/child_env.h"

namespace xr::app {

enum class RestartPolicy { kAlways, kNever };

struct RoleSpec {
  std::string_view name;                          // "poller", "worker"
  int (*start)(const ChildEnv& env);               // the child's main; returns its exit code
  int64_t (*count)(const config::Config& config);  // instances wanted
  RestartPolicy restart;
  bool exclusive;  // at most one instance alive at any time, even across a reload
                   // (the poller is the cache's single writer)
};

std::span<const RoleSpec> role_table();

}  // namespace xr::app

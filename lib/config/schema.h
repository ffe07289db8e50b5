// The one table of configuration keys: type, default, bounds, one-line doc, and where
// the value goes. Used by the loader, by `check-config` and to keep the shipped default
// config honest (a unit test compares them). Constant data; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "config/config.h"

namespace xr::config {

enum class KeyType { kString, kInteger, kBoolean };

template <typename S>
struct KeySpec {
  std::string_view key;           // "server.workers", or "url" inside [[pool]]
  KeyType type;
  std::string_view default_text;  // as written in the shipped config ("" = no default; "true"/"false")
  int64_t min = 0;                // integers only
  int64_t max = 0;
  std::string_view choices;       // strings: "a|b|c", or "" for free text
  std::string_view doc;
  std::variant<std::string S::*, int64_t S::*, bool S::*> field;
};

// Keys of the top-level sections ([server], [storage], [cache], [poller], [auth], [log]).
std::span<const KeySpec<Config>> config_keys();
// Keys of each [[pool]] table.
std::span<const KeySpec<PoolConfig>> pool_keys();

}  // namespace xr::config

// Reads and fully validates a TOML config file against the key table (schema.h).
// Master process, before fork (also used by the CLI). Blocks on file reads only.
// Every error names the key and its line: "config.toml:3: server.workers: ...".
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace xr::config {

// Loads `path`; password_file entries are read (relative to the config's folder).
Result<Config> load_config(const std::string& path);
// Same from text; `source` names it in messages and anchors relative paths.
Result<Config> parse_config(std::string_view text, const std::string& source);

}  // namespace xr::config

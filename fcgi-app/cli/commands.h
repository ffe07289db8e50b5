// The administrative command line: check-config, user add/list, token create/list/revoke,
// pool-fingerprint.
// Runs in the foreground of a shell; blocks on SQLite and on reading the password.
#pragma once

#include <string>
#include <vector>

namespace xr::app {

// `args` are the words after the program name; returns the process exit code.
int run_check_config(const std::vector<std::string>& args);
int run_user_command(const std::vector<std::string>& args);
int run_token_command(const std::vector<std::string>& args);
// pool-fingerprint HOST[:PORT]: prints the [[pool]] tls/fingerprint lines (fingerprint.cpp).
int run_pool_fingerprint(const std::vector<std::string>& args);

// The value of `--name VALUE` (or `--name=VALUE`) in args, removed from them; `fallback` if absent.
std::string take_option(std::vector<std::string>& args, const std::string& name,
                        const std::string& fallback);

constexpr const char* kDefaultConfigPath = "/etc/xapi-rest/xapi-rest.toml";

}  // namespace xr::app

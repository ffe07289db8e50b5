// Parses human durations for the CLI and the token API: "90s", "15m", "12h", "30d",
// "2w", or a bare number of milliseconds (XO's expiresIn accepts both). Any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace xr::config {

// Returns the duration in milliseconds; kInvalidArgument for anything else.
Result<int64_t> parse_duration_ms(std::string_view text);

}  // namespace xr::config

// Parses durations as XO does (its @vates/parse-duration is the npm `ms` package): a number
// ("30", "1.5", ".5", "-2") then optional spaces and an optional unit in any case (ms, s,
// sec(s), second(s), m, min(s), minute(s), h, hr(s), hour(s), d, day(s), w, week(s),
// y, yr(s), year(s) of 365.25 days); no unit means milliseconds. Used by the CLI and the
// token API. Any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace xr::config {

// Returns the duration in milliseconds (rounded; may be negative: the caller bounds it);
// kInvalidArgument for anything `ms` does not parse (or longer than its 100 characters).
Result<int64_t> parse_duration_ms(std::string_view text);

}  // namespace xr::config

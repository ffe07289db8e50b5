// Text helpers shared by the wire readers: strict number/boolean parsing and base64.
// Pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::xapi {

std::string_view trim_space(std::string_view s);
// Whole text must be a decimal int64 (optional sign); else kProtocol.
Result<int64_t> parse_int_text(std::string_view s);
// "1"/"true" → true, "0"/"false" → false; else kProtocol.
Result<bool> parse_bool_text(std::string_view s);
// Whole text must be a number; else kProtocol.
Result<double> parse_double_text(std::string_view s);
// Standard alphabet, whitespace ignored, padding optional; invalid input → kProtocol.
Result<std::string> base64_decode(std::string_view s);

}  // namespace xr::xapi

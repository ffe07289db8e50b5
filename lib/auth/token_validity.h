// How long a new token may be valid: one rule for the REST API (`expiresIn`) and the CLI
// (`--expires`), XO's: at least one minute, at most 183 days (XO: half a year). Any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace xr::auth {

constexpr int64_t kMinTokenValidityMs = 60'000;
constexpr int64_t kMaxTokenValidityMs = 183LL * 86'400'000;

// kInvalidArgument naming `given` (what the user wrote) when `ms` is out of bounds.
Status check_token_validity(int64_t ms, std::string_view given);
// A duration as XO's parser reads it ("30d", "2 hours", "90000"), then checked as above.
Result<int64_t> token_validity_ms(std::string_view text);

}  // namespace xr::auth

#include "auth/token_validity.h"

#include <string>

#include "config/duration.h"

namespace xr::auth {

Status check_token_validity(int64_t ms, std::string_view given) {
  const std::string quoted = "\"" + std::string(given) + "\"";
  if (ms < kMinTokenValidityMs) {
    return Status(ErrorKind::kInvalidArgument,
                  "a token must be valid for at least 1 minute: " + quoted + " is " +
                      std::to_string(ms) + " ms (a number without a unit is milliseconds; e.g. 30d)");
  }
  if (ms > kMaxTokenValidityMs) {
    return Status(ErrorKind::kInvalidArgument,
                  "a token may be valid for 183 days at most: " + quoted + " is longer");
  }
  return Status::ok();
}

Result<int64_t> token_validity_ms(std::string_view text) {
  XR_ASSIGN_OR_RETURN(int64_t ms, config::parse_duration_ms(text));
  XR_RETURN_IF_ERROR(check_token_validity(ms, text));
  return ms;
}

}  // namespace xr::auth

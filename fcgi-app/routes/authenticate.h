// Resolves the credentials of a request as XO does: cookie authenticationToken (or
// token) or HTTP Basic; both at once is a 400, malformed or wrong ones a 401.
// Password logins go through the LoginGuard (throttle: 429, busy hash slots: 503, both
// with Retry-After added to `res`); failed ones are logged (user, address, never the
// password). Worker request thread; may block on SQLite or one argon2id verification.
#pragma once

#include <optional>

#include "routes/context.h"

namespace xr::app {

// The user, or nullopt when the request carries no credentials at all.
Result<std::optional<auth::User>> authenticate(const Request& req, Services& svc, Response& res);

}  // namespace xr::app

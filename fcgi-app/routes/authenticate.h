// Resolves the credentials of a request as XO does: cookie authenticationToken (or
// token) or HTTP Basic; both at once is a 400, malformed or wrong ones a 401.
// Password logins go through the LoginGuard (throttle: 429, busy hash slots: 503, both
// with Retry-After added to `res`); failed ones are logged (user, address, never the
// password). Worker request thread; may block on SQLite or one argon2id verification.
#pragma once

#include <optional>
#include <string_view>

#include "routes/context.h"

namespace xr::app {

// The user, or nullopt when the request carries no credentials at all.
Result<std::optional<auth::User>> authenticate(const Request& req, Services& svc, Response& res);

// A user name and password checked as HTTP Basic's are (throttle, hash slots, logging):
// POST /signin. kUnauthorized for wrong ones.
Result<auth::User> check_login(std::string_view name, std::string_view password, const Request& req,
                               Services& svc, Response& res);

// The user of the request's session cookie (authenticationToken, or token) when it holds a
// valid token; kUnauthorized otherwise (no cookie, expired, revoked).
Result<auth::User> session_user(const Request& req, Services& svc);

// True when the request's credentials are the session cookie (not Basic).
bool authenticated_by_cookie(const Request& req);

// Cross-site request refusal for cookie sessions: a state-changing request (not GET, HEAD,
// OPTIONS) whose Origin — or, without one, Referer — names another site than the request's
// own scheme and Host is kForbidden. Neither header: allowed (not a browser; browsers send
// Origin on every such request). Callers apply it to cookie-authenticated requests only.
Status check_same_site(const Request& req);

}  // namespace xr::app

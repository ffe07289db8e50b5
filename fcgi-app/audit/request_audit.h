// What a request's audit line says (audit/audit_log.h), from the dispatcher's Context once
// the answer is written: every change (any method but GET, HEAD, OPTIONS) on a route, and
// every failed login (credentials given, 401, or refused by the login throttle). Request
// threads of the workers and of the stream role; appends one line to the file.
#pragma once

#include <optional>
#include <string_view>

#include "routes/context.h"

namespace xr::app {

// `changes`: false where no route changes anything (the stream role): failed logins only.
void audit_request(const Context& ctx, bool changes = true);
// A VM console's request (the console bridge of the stream role): opened (status 101) or
// refused, always audited: event "console" (or "login_failed" for credentials refused),
// route "/api/consoles/{id}", object the VM id of the path ("" when it was not one).
void audit_console(const Services& svc, const Request& req, const std::optional<auth::User>& user,
                   std::string_view vm_id, int status);

}  // namespace xr::app

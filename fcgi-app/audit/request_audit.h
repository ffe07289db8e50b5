// What a request's audit line says (audit/audit_log.h), from the dispatcher's Context once
// the answer is written: every change (any method but GET, HEAD, OPTIONS) on a route, and
// every failed login (credentials given, 401, or refused by the login throttle). Request
// threads of the workers and of the stream role; appends one line to the file.
#pragma once

#include "routes/context.h"

namespace xr::app {

// `changes`: false where no route changes anything (the stream role): failed logins only.
void audit_request(const Context& ctx, bool changes = true);

}  // namespace xr::app

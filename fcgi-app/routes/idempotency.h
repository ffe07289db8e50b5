// Idempotency-Key on POST (issue 10): the first answer to a user's key is kept 24 h
// (lib/idempotency) and a retry of the same request gets it back instead of acting twice;
// the same key on another request is a 422, while the first still runs a 409.
// Worker request thread; database I/O.
#pragma once

#include "routes/context.h"

namespace xr::app {

// Whether `route` honours the header: POSTs answered by a worker, except those whose answer
// holds a secret (token creation: secrets are never stored), those whose body may hold a
// password (users, servers, SRs) and uploads (the body is a file).
bool idempotency_applies(const Route& route);

// Before the handler, for a request with the header on such a route: claims the key, or
// answers from the store (*answered = true: a replay), or refuses (400 bad key, 409 in
// flight, 422 other request). Without the header: nothing.
Status idempotency_begin(Context& ctx, bool* answered);

// After the answer was written: keeps it for the key, or forgets the key when the request
// was refused before acting (429, 503) or cut. A ?sync action's kept answer is its hand-off
// to the task's wait (task_wait.h): a retry waits for the same task and gets its result.
void idempotency_end(Context& ctx);

}  // namespace xr::app

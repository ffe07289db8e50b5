// The rate limits of issue 17 applied to a request (worker/rate_limiter.h counts): actions
// (POST .../actions/<name>) and changes of pool objects, per token (per user for HTTP
// Basic), [limits] of the config. Reads are never limited. Worker request thread.
#pragma once

#include "routes/context.h"

namespace xr::app {

// kTooManyRequests with Retry-After added to ctx.res beyond the limit; OK otherwise.
Status check_rate_limit(Context& ctx);

}  // namespace xr::app

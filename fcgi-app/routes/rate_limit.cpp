#include "routes/rate_limit.h"

#include <string>

#include "routes/collection_routes.h"
#include "worker/rate_limiter.h"

namespace xr::app {

Status check_rate_limit(Context& ctx) {
  if (ctx.svc.rate_limiter == nullptr || !ctx.user) return Status::ok();
  const std::string& method = ctx.req.method();
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return Status::ok();
  const std::vector<std::string>& segs = ctx.req.raw_segments();
  if (segs.size() < 3 || segs[0] != "rest" || segs[1] != "v0") return Status::ok();
  const bool action = method == "POST" && segs.size() == 6 && segs[4] == "actions";
  // What reaches XAPI: actions, and changes of the pools' objects (not tokens, users, uploads).
  if (!action && !is_object_collection(segs[2])) return Status::ok();
  const config::Config& c = ctx.svc.config;
  const RateLimit limit{action ? c.limits_actions_per_minute : c.limits_mutations_per_minute, c.limits_burst};
  if (limit.per_minute <= 0) return Status::ok();
  const std::string who = ctx.user->token_id.empty() ? "user " + ctx.user->id : "token " + ctx.user->token_id;
  const char* kind = action ? "actions" : "mutations";
  const int wait_s = ctx.svc.rate_limiter->admit(RateLimiter::key_of(kind, who), limit, RateLimiter::now_us());
  if (wait_s == 0) return Status::ok();
  ctx.res.add_header("Retry-After", std::to_string(wait_s));
  ctx.error_data = "{\"limit\":\"" + std::string(kind) + "\",\"perMinute\":" + std::to_string(limit.per_minute) +
                   ",\"burst\":" + std::to_string(limit.burst) + ",\"retryAfter\":" + std::to_string(wait_s) + "}";
  return Status(ErrorKind::kTooManyRequests, std::string("too many ") + kind + " for this " +
                                                 (ctx.user->token_id.empty() ? "user" : "token") +
                                                 ": retry in " + std::to_string(wait_s) + " s");
}

}  // namespace xr::app

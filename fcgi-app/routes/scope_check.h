// Scoped tokens enforced (issue 17, controls): every route of the workers (the dispatcher),
// of the stream role (watch, SSE, task watch) and the console bridge asks check_scope()
// after authentication; lists of cache objects are narrowed to the token's pools. A request
// outside the scope is a 403 in XO's error shape naming the missing scope. Requests by
// unscoped tokens and HTTP Basic pass untouched. Request threads; reads shared memory only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/token_scope.h"
#include "routes/context.h"

namespace xr::app {

struct ListQuery;

// What a request does, as a scope sees it.
struct ScopedRequest {
  bool change = false;          // not a read (GET, HEAD, SSE subscriptions are reads)
  std::string_view collection;  // "vms" of /rest/v0/vms/...; the first segment outside /rest/v0
  std::string_view action;      // "start" of POST .../actions/start; empty for other requests
  std::string_view object_id;   // the pool object the path names (cache collections); may be empty
  bool touches_no_pool = false;  // a change outside every pool (one's own tokens, uploads)
  bool sums_every_pool = false;  // a read summing up every pool (/metrics)
};

// kForbidden, with ctx.error_data {"scope": "<readOnly|pools|collections|actions>", ...}, when
// ctx.user's token scope does not allow `r`; OK without a scope.
Status check_scope(Context& ctx, const ScopedRequest& r);
// The worker dispatcher's check: the ScopedRequest of the route matched (ctx.route, ctx.params).
Status check_route_scope(Context& ctx);
// Adds "$pool:|(<uuid> ...)" to the list's filter when the token is limited to some pools.
Status narrow_to_scope_pools(const Context& ctx, ListQuery* q);
// Whether ctx.user's token may see the pool `pool_id` (always without a pool scope; never
// an unknown pool, "", with one): configured servers are narrowed with it.
bool scope_allows_pool(const Context& ctx, std::string_view pool_id);
// kForbidden naming the pool (missingScope "pools") when scope_allows_pool() is false.
Status check_pool_scope(Context& ctx, std::string_view pool_id, std::string_view what);
// The filter text narrow_to_scope_pools adds ("" when none): part of shared views' keys.
std::string scope_pool_filter(const Context& ctx);
// kInvalidArgument when the scope names a collection or an action no route has.
Status check_scope_names(const auth::TokenScope& scope);
// The scope of a token ctx.user creates: `requested` checked against the routes (collections
// and actions that exist) and, for a scoped creator, within its own scope (inherited when not
// given). kInvalidArgument / kForbidden naming what is wrong.
Result<std::optional<auth::TokenScope>> scope_for_new_token(Context& ctx,
                                                            std::optional<auth::TokenScope> requested);

}  // namespace xr::app

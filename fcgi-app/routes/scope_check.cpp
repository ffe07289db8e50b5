#include "routes/scope_check.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "filter/filter.h"
#include "routes/collection_routes.h"
#include "routes/json_text.h"
#include "routes/object_stream.h"
#include "routes/route_table.h"

namespace xr::app {

namespace {

bool is_read(std::string_view method) { return method == "GET" || method == "HEAD"; }

// The names a scope may use, from the route table: collections (segment 2 of /rest/v0 rows,
// the first segment of the others) and actions ("<collection>/<name>" and "<name>" of the
// POST .../actions/<name> rows; "vms/console" for the console bridge).
struct KnownNames {
  std::set<std::string, std::less<>> collections, actions;
  KnownNames() {
    actions = {"console", "vms/console"};
    for (const Route& r : routes()) {
      std::vector<std::string_view> segs;
      for (std::string_view p = r.pattern; !p.empty();) {
        const size_t slash = p.find('/');
        segs.push_back(p.substr(0, slash));
        p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
      }
      const bool api = segs.size() >= 2 && segs[0] == "rest" && segs[1] == "v0";
      if (api && segs.size() >= 3 && segs[2].front() != '{') collections.emplace(segs[2]);
      if (!api && !segs.empty()) collections.emplace(segs[0]);
      if (api && r.method == "POST" && segs.size() == 6 && segs[4] == "actions") {
        actions.emplace(segs[5]);
        actions.emplace(std::string(segs[2]) + "/" + std::string(segs[5]));
      }
    }
  }
};

const KnownNames& known() {
  static const KnownNames k;
  return k;
}

Status refuse(Context& ctx, std::string_view scope, std::string_view value, std::string_view why) {
  ctx.error_data = "{\"missingScope\":" + json_string(scope) +
                   (value.empty() ? std::string() : ",\"value\":" + json_string(value)) + "}";
  return Status(ErrorKind::kForbidden, "not enough permissions: " + std::string(why));
}

// The pool of the object `id` of `collection` in the cache ("" when it names none).
Result<std::string> pool_of(Context& ctx, std::string_view collection, std::string_view id) {
  if (ctx.svc.cache == nullptr) return Status(ErrorKind::kUnavailable, "the object cache is not ready yet");
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, collection, id, &json));
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.IsObject() && d.HasMember("$pool") && d["$pool"].IsString()) return std::string(d["$pool"].GetString());
  return std::string();
}

Status check_pools(Context& ctx, const auth::TokenScope& s, const ScopedRequest& r) {
  if (s.pools.empty()) return Status::ok();
  if (!r.object_id.empty()) {
    XR_ASSIGN_OR_RETURN(std::string pool, pool_of(ctx, r.collection, r.object_id));
    if (s.allows_pool(pool)) return Status::ok();
    return refuse(ctx, "pools", pool, "this token's scope does not include the pool " +
                                          (pool.empty() ? std::string("(none)") : pool) + " of this object");
  }
  if (r.change && !r.touches_no_pool) {
    return refuse(ctx, "pools", "", "this token is limited to some pools: it may change objects of those pools only");
  }
  if (r.sums_every_pool) {
    return refuse(ctx, "pools", "", "this token is limited to some pools: " + std::string(r.collection) +
                                        " sums up every pool (use the pools' own routes)");
  }
  return Status::ok();  // lists are narrowed to the pools (narrow_to_scope_pools)
}

}  // namespace

Status check_scope(Context& ctx, const ScopedRequest& r) {
  if (!ctx.user || !ctx.user->scope) return Status::ok();
  const auth::TokenScope& s = *ctx.user->scope;
  if (r.change && s.read_only) return refuse(ctx, "readOnly", "", "this token is read-only");
  if (!r.collection.empty() && !s.allows_collection(r.collection)) {
    return refuse(ctx, "collections", r.collection,
                  "this token's scope does not include the collection " + std::string(r.collection));
  }
  if (r.change && !s.actions.empty()) {
    if (r.action.empty()) {
      return refuse(ctx, "actions", "", "this token may only run the actions its scope names");
    }
    if (!s.allows_action(r.collection, r.action)) {
      const std::string name = std::string(r.collection) + "/" + std::string(r.action);
      return refuse(ctx, "actions", name, "this token's scope does not include the action " + name);
    }
  }
  return check_pools(ctx, s, r);
}

Status check_route_scope(Context& ctx) {
  if (!ctx.user || !ctx.user->scope) return Status::ok();
  const std::vector<std::string>& segs = ctx.req.raw_segments();
  const bool api = segs.size() >= 2 && segs[0] == "rest" && segs[1] == "v0";
  ScopedRequest r;
  r.change = !is_read(ctx.req.method());
  if (api && segs.size() >= 3) r.collection = segs[2];
  if (!api && !segs.empty()) r.collection = segs[0];
  if (r.change && api && segs.size() == 6 && segs[4] == "actions") r.action = segs[5];
  if (api && segs.size() >= 4 && !ctx.params.empty() && is_object_collection(r.collection)) {
    r.object_id = ctx.params[0];
  }
  // One's own tokens and the upload area touch no pool: a pool-scoped token may use them.
  r.touches_no_pool = std::find(segs.begin(), segs.end(), "authentication_tokens") != segs.end() ||
                      r.collection == "uploads";
  // The gateway's metrics sum up every pool and are not narrowed (the dashboards are).
  r.sums_every_pool = !api && r.collection == "metrics";
  return check_scope(ctx, r);
}

bool scope_allows_pool(const Context& ctx, std::string_view pool_id) {
  if (!ctx.user || !ctx.user->scope || ctx.user->scope->pools.empty()) return true;
  return !pool_id.empty() && ctx.user->scope->allows_pool(pool_id);
}

Status check_pool_scope(Context& ctx, std::string_view pool_id, std::string_view what) {
  if (scope_allows_pool(ctx, pool_id)) return Status::ok();
  return refuse(ctx, "pools", pool_id, "this token's scope does not include the pool " +
                                           (pool_id.empty() ? std::string("(not known yet)") : std::string(pool_id)) +
                                           " of " + std::string(what));
}

std::string scope_pool_filter(const Context& ctx) {
  if (!ctx.user || !ctx.user->scope || ctx.user->scope->pools.empty()) return "";
  std::string text = "$pool:|(";
  for (size_t i = 0; i < ctx.user->scope->pools.size(); ++i) {
    text.append(i == 0 ? "" : " ").append(ctx.user->scope->pools[i]);
  }
  return text + ")";
}

Status narrow_to_scope_pools(const Context& ctx, ListQuery* q) {
  const std::string extra = scope_pool_filter(ctx);
  if (extra.empty()) return Status::ok();
  const auto& own = q->options.filter;
  const std::string text = own && !own->empty() ? "(" + *own + ") " + extra : extra;
  XR_ASSIGN_OR_RETURN(filter::Filter f, filter::compile_query_filter(text));
  q->filter = std::move(f);
  return Status::ok();
}

Status check_scope_names(const auth::TokenScope& scope) {
  for (const auto& c : scope.collections) {
    if (!known().collections.count(c)) {
      return Status(ErrorKind::kInvalidArgument, "scope.collections: no collection \"" + c + "\" here");
    }
  }
  for (const auto& a : scope.actions) {
    if (!known().actions.count(a)) {
      return Status(ErrorKind::kInvalidArgument, "scope.actions: no action \"" + a + "\" here");
    }
  }
  return Status::ok();
}

Result<std::optional<auth::TokenScope>> scope_for_new_token(Context& ctx,
                                                            std::optional<auth::TokenScope> requested) {
  if (requested) XR_RETURN_IF_ERROR(check_scope_names(*requested));
  if (!ctx.user || !ctx.user->scope) return requested;
  if (!requested) return ctx.user->scope;  // a scoped token's tokens inherit its scope
  if (!ctx.user->scope->covers(*requested)) {
    return refuse(ctx, "scope", "", "a token made with a scoped token can only narrow its scope");
  }
  return requested;
}

}  // namespace xr::app

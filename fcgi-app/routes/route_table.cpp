#include "routes/route_table.h"

#include <array>

#include "routes/authenticate.h"
#include "routes/collection_routes.h"
#include "routes/dashboard_routes.h"
#include "routes/http_errors.h"
#include "routes/meta_routes.h"
#include "routes/monitor_routes.h"
#include "routes/server_routes.h"
#include "routes/user_routes.h"

namespace xr::app {

namespace {

// First match wins: fixed names come before the {collection} patterns.
const std::array kRoutes = {
    Route{"GET", "rest/v0", Access::kAdmin, &get_root},
    Route{"GET", "rest/v0/ping", Access::kPublic, &get_ping},
    Route{"*", "rest/v0/users/me/**", Access::kUser, &redirect_me},
    Route{"*", "rest/v0/users/me", Access::kUser, &redirect_me},
    Route{"GET", "rest/v0/users", Access::kAdmin, &list_users},
    Route{"GET", "rest/v0/users/{}", Access::kUser, &get_user},
    Route{"GET", "rest/v0/users/{}/authentication_tokens", Access::kUser, &list_tokens},
    Route{"POST", "rest/v0/users/{}/authentication_tokens", Access::kUser, &create_token},
    Route{"DELETE", "rest/v0/users/{}/authentication_tokens/{}", Access::kUser, &delete_token},
    Route{"GET", "rest/v0/servers", Access::kAdmin, &list_servers},
    Route{"GET", "rest/v0/servers/{}", Access::kAdmin, &get_server},
    Route{"GET", "rest/v0/dashboard", Access::kAdmin, &get_dashboard},
    Route{"GET", "rest/v0/vms/{}/stats", Access::kAdmin, &get_vm_stats},
    Route{"GET", "rest/v0/hosts/{}/stats", Access::kAdmin, &get_host_stats},
    Route{"GET", "rest/v0/pools/{}/stats", Access::kAdmin, &get_pool_stats},
    Route{"GET", "rest/v0/hosts/{}/missing_patches", Access::kAdmin, &get_host_missing_patches},
    Route{"GET", "rest/v0/pools/{}/missing_patches", Access::kAdmin, &get_pool_missing_patches},
    Route{"GET", "rest/v0/hosts/{}/smt", Access::kAdmin, &get_host_smt},
    Route{"GET", "rest/v0/hosts/{}/logs.tgz", Access::kAdmin, &get_host_logs},
    Route{"GET", "rest/v0/pools/{}/dashboard", Access::kAdmin, &get_pool_dashboard},
    Route{"GET", "rest/v0/vms/{}/dashboard", Access::kAdmin, &get_vm_dashboard},
    Route{"GET", "rest/v0/{}", Access::kAdmin, &list_collection},
    Route{"GET", "rest/v0/{}/{}", Access::kAdmin, &get_object},
    Route{"GET", "rest/v0/{}/{}/{}", Access::kAdmin, &list_sub_collection},
};

// Splits a pattern into segments and matches them; captures go to `params`.
bool match(std::string_view pattern, const std::vector<std::string>& segs,
           std::vector<std::string>* params) {
  params->clear();
  size_t i = 0;
  while (!pattern.empty()) {
    size_t slash = pattern.find('/');
    std::string_view p = pattern.substr(0, slash);
    pattern = slash == std::string_view::npos ? std::string_view() : pattern.substr(slash + 1);
    if (p == "**") {
      std::string rest;
      for (; i < segs.size(); ++i) rest += "/" + segs[i];
      params->push_back(rest);
      return true;
    }
    if (i >= segs.size()) return false;
    if (p == "{}") {
      params->push_back(segs[i]);
    } else if (p != segs[i]) {
      return false;
    }
    ++i;
  }
  return i == segs.size();
}

bool method_matches(std::string_view route, std::string_view method) {
  return route == "*" || route == method || (route == "GET" && method == "HEAD");
}

Status check_access(Context& ctx, Access access) {
  if (access == Access::kPublic) return Status::ok();
  if (!ctx.user) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  if (access == Access::kAdmin && ctx.user->permission != "admin") {
    ctx.error_data = "{\"object\":{}}";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  return Status::ok();
}

Status run(Context& ctx) {
  const Route* found = nullptr;
  for (const Route& r : kRoutes) {
    if (method_matches(r.method, ctx.req.method()) && match(r.pattern, ctx.req.segments(), &ctx.params)) {
      found = &r;
      break;
    }
  }
  // Credentials, when present, are always checked first (even for a route that needs none).
  auto user = authenticate(ctx.req, ctx.svc);
  if (!user.is_ok()) return user.status();
  ctx.user = std::move(*user);
  if (found == nullptr) {
    return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
  }
  XR_RETURN_IF_ERROR(check_access(ctx, found->access));
  return found->handler(ctx);
}

}  // namespace

std::span<const Route> routes() { return kRoutes; }

void dispatch(Request& req, Response& res, Services& svc) {
  Context ctx{req, res, svc, {}, std::nullopt, {}};
  Status s = run(ctx);
  if (!s.is_ok()) {
    if (!res.headers_sent()) {
      write_error(res, s, ctx.error_data);
      return;
    }
    // Too late for a status: the body is cut short so the client sees an incomplete answer.
    return;
  }
  if (!res.failed()) res.finish();
}

}  // namespace xr::app

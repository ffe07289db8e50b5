#include "routes/xo_only_routes.h"

#include <array>
#include <string_view>
#include <utility>

#include "routes/http_errors.h"
#include "routes/list_output.h"

namespace xr::app {

namespace {

// Collection → the object type named in a 404.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTypes = {{
    {"backup-jobs", "backup job"},
    {"backup-repositories", "backup repository"},
    {"backup-logs", "backup log"},
    {"restore-logs", "restore log"},
    {"schedules", "schedule"},
    {"proxies", "proxy"},
}};

std::string_view type_of(const Context& ctx) {
  const auto& segs = ctx.req.segments();
  for (const auto& [collection, type] : kTypes) {
    if (segs.size() > 2 && segs[2] == collection) return type;
  }
  return "object";
}

}  // namespace

Status get_gui_routes(Context& ctx) {
  // XO answers {xo5, xo6} from its HTTP mounts; here XO 6's UI is at the site's root (the
  // nginx site's optional block) and there is no XO 5.
  ctx.res.send(200, "application/json; charset=utf-8", R"({"xo6":"/"})");
  return Status::ok();
}

Status list_not_configured(Context& ctx) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  (void)filter;  // validated (XO's 400 for a bad one); nothing to match
  ListWriter out(ctx.res, options, &ctx.req);
  out.finish();
  return Status::ok();
}

Status get_not_configured(Context& ctx) { return no_such(type_of(ctx), ctx.params[0], &ctx.error_data); }

}  // namespace xr::app

#include "routes/collection_routes.h"

#include <array>

#include "routes/json_text.h"

namespace xr::app {

namespace {

constexpr std::array<std::string_view, 17> kCollections = {
    "pools", "hosts", "vms", "vm-templates", "vm-snapshots", "vm-controllers", "vdis",
    "vdi-snapshots", "srs", "networks", "pifs", "vifs", "vbds", "pbds", "messages", "alarms",
    "sms"};

bool known_collection(std::string_view name) {
  for (auto c : kCollections) {
    if (c == name) return true;
  }
  return false;
}

Status not_found_route(Context& ctx) {
  return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
}

Status cache_missing() {
  return Status(ErrorKind::kTransport, "the object cache is not available in this build");
}

}  // namespace

Status list_collection(Context& ctx) {
  if (!known_collection(ctx.params[0])) return not_found_route(ctx);
  return cache_missing();
}

Status get_object(Context& ctx) {
  if (!known_collection(ctx.params[0])) return not_found_route(ctx);
  return cache_missing();
}

Status list_sub_collection(Context& ctx) {
  if (!known_collection(ctx.params[0])) return not_found_route(ctx);
  return cache_missing();
}

Status list_servers(Context&) { return cache_missing(); }
Status get_server(Context&) { return cache_missing(); }
Status get_dashboard(Context&) { return cache_missing(); }

}  // namespace xr::app

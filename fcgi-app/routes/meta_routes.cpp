#include "routes/meta_routes.h"

#include <array>
#include <cctype>
#include <chrono>

#include "openapi/document.h"
#include "routes/json_text.h"
#include "routes/list_output.h"

namespace xr::app {

namespace {
// XO's order (legacy root listing), restricted to what this gateway serves, then the
// collections only new XO has (pbds, pcis, pgpus, sms).
constexpr std::array<std::string_view, 22> kRootEntries = {
    "hosts", "messages", "networks", "pifs", "pools", "srs", "vbds", "vdi-snapshots", "vdis",
    "vifs", "vm-controllers", "vm-snapshots", "vm-templates", "vms", "servers", "users",
    "dashboard", "alarms", "pbds", "pcis", "pgpus", "sms"};
}  // namespace

Status get_root(Context& ctx) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  options.has_fields = false;
  ListWriter out(ctx.res, options, &ctx.req);
  for (std::string_view name : kRootEntries) {
    if (out.full()) break;
    out.add_href("/rest/v0/" + std::string(name));
  }
  out.finish();
  return Status::ok();
}

Status served_by_stream(Context& ctx) {
  (void)ctx;
  return Status(ErrorKind::kUnavailable,
                "server-sent events are served by the stream role: nginx must send /rest/v0/events to "
                "stream.socket (see nginx/xapi-rest.conf)");
}

Status get_ping(Context& ctx) {
  using namespace std::chrono;
  const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "result", "pong");
  put_kv(w, "timestamp", now);
  w.EndObject();
  ctx.res.send(200, "application/json; charset=utf-8", text_of(b));  // no ETag: always new
  return Status::ok();
}

Status get_openapi(Context& ctx) {
  ctx.res.send(200, "application/json; charset=utf-8", openapi::document_json());
  return Status::ok();
}

namespace {
Status mcp_disabled(Context& ctx) {
  ctx.error_data = "{\"error\":\"mcp_disabled\"}";
  return Status(ErrorKind::kUnavailable, "MCP is disabled by the administrator");
}
}  // namespace

Status get_mcp_status(Context& ctx) {
  if (!ctx.svc.config.mcp_enabled) return mcp_disabled(ctx);
  ctx.res.send(200, "application/json; charset=utf-8", "{\"enabled\":true}");
  return Status::ok();
}

Status check_mcp_gate(Context& ctx) {
  if (ctx.svc.config.mcp_enabled) return Status::ok();
  std::string client(ctx.req.param("HTTP_X_XO_CLIENT"));
  for (char& c : client) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return client == "mcp" ? mcp_disabled(ctx) : Status::ok();
}

}  // namespace xr::app

#include "routes/server_routes.h"
#include "routes/http_errors.h"

#include <rapidjson/document.h>

#include <map>

#include "routes/etag.h"
#include "routes/json_text.h"
#include "routes/list_output.h"
#include "routes/object_stream.h"
#include "worker/cache_access.h"

namespace xr::app {

namespace {

const char* state_name(cache::layout::PoolState s) {
  switch (s) {
    case cache::layout::PoolState::kConnected: return "connected";
    case cache::layout::PoolState::kDisconnected: return "disconnected";
    default: return "connecting";
  }
}

// XO's server object (c.12) for one configured pool; the password is never shown.
std::string server_json(const config::PoolConfig& pool, const std::vector<cache::PoolStatus>& all) {
  const cache::PoolStatus* st = nullptr;
  for (const auto& s : all) {
    if (s.key == pool.name) st = &s;
  }
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "id", pool.name);
  put_kv(w, "label", pool.name);
  put_kv(w, "host", pool.url);
  put_kv(w, "username", pool.user);
  w.Key("allowUnauthorized");
  w.Bool(pool.tls_mode() == config::TlsMode::kInsecure);
  w.Key("enabled");
  w.Bool(true);
  w.Key("readOnly");
  w.Bool(false);
  put_kv(w, "status", st != nullptr ? state_name(st->state) : "connecting");
  if (st != nullptr) {
    if (!st->last_error.empty()) put_kv(w, "error", st->last_error);
    if (!st->pool_id.empty()) put_kv(w, "poolId", st->pool_id);
    if (st->last_sync_ms > 0) put_kv(w, "lastSync", st->last_sync_ms);
  }
  w.EndObject();
  return text_of(b);
}

}  // namespace

Status list_servers(Context& ctx) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  const auto statuses = ctx.svc.cache->reader().pool_statuses();
  ListWriter out(ctx.res, options, &ctx.req);
  for (const auto& pool : ctx.svc.config.pools) {
    if (out.full()) break;
    const std::string href = "/rest/v0/servers/" + pool.name;
    rapidjson::Document doc;
    doc.Parse(server_json(pool, statuses).c_str());
    out.add_object(doc, href, filter);
  }
  out.finish();
  return Status::ok();
}

Status get_server(Context& ctx) {
  for (const auto& pool : ctx.svc.config.pools) {
    if (pool.name != ctx.params[0]) continue;
    send_json_with_etag(ctx, server_json(pool, ctx.svc.cache->reader().pool_statuses()));
    return Status::ok();
  }
  return no_such("server", ctx.params[0], &ctx.error_data);
}

Status get_dashboard(Context& ctx) {
  XR_RETURN_IF_ERROR(check_pools_ready(ctx));
  const cache::Reader& reader = ctx.svc.cache->reader();
  std::map<std::string, int64_t> power;
  cache::ScanCursor cursor;
  std::string scratch;
  while (!cursor.done) {
    XR_RETURN_IF_ERROR(reader.scan("vms", cursor, scratch, SIZE_MAX, [&](const cache::ObjectView& v, std::string&) {
      cache::ObjectView ps;
      ++power[v.find("power_state", &ps) && ps.kind() == JsonKind::kString ? std::string(ps.string()) : ""];
      return false;  // counted, nothing emitted
    }));
  }
  int64_t connected = 0, disconnected = 0, unknown = 0;
  for (const auto& s : reader.pool_statuses()) {
    if (s.state == cache::layout::PoolState::kConnected) ++connected;
    else if (s.state == cache::layout::PoolState::kDisconnected) ++disconnected;
    else ++unknown;
  }
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "nPools", static_cast<int64_t>(reader.count("pools")));
  put_kv(w, "nHosts", static_cast<int64_t>(reader.count("hosts")));
  w.Key("poolsStatus");
  w.StartObject();
  put_kv(w, "connected", connected);
  put_kv(w, "unreachable", disconnected);
  put_kv(w, "unknown", unknown);
  put_kv(w, "disconnected", int64_t{0});
  put_kv(w, "total", connected + disconnected + unknown);
  w.EndObject();
  w.Key("vmsStatus");
  w.StartObject();
  int64_t total = 0, other = 0;
  for (const auto& [state, n] : power) {
    total += n;
    if (state != "Running" && state != "Halted" && state != "Suspended" && state != "Paused") other += n;
  }
  put_kv(w, "running", power["Running"]);
  put_kv(w, "halted", power["Halted"]);
  put_kv(w, "suspended", power["Suspended"]);
  put_kv(w, "paused", power["Paused"]);
  put_kv(w, "unknown", other);
  put_kv(w, "total", total);
  w.EndObject();
  w.EndObject();
  send_json_with_etag(ctx, text_of(b));
  return Status::ok();
}

}  // namespace xr::app

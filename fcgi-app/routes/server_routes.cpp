#include "routes/server_routes.h"
#include "routes/http_errors.h"

#include <rapidjson/document.h>

#include <map>

#include "routes/etag.h"
#include "routes/json_text.h"
#include "routes/list_output.h"
#include "routes/object_stream.h"
#include "routes/scope_check.h"
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
// The pool object's name and master, and the addresses of its hosts, from the cache.
struct PoolFacts {
  std::string name_label, name_description, master;
  std::vector<std::string> addresses;
  bool found = false;
};

PoolFacts pool_facts(const cache::Reader& reader, std::string_view pool_id) {
  PoolFacts f;
  std::string scratch;
  auto text = [](const cache::ObjectView& v, std::string_view key) {
    cache::ObjectView x;
    return v.find(key, &x) && x.kind() == JsonKind::kString ? std::string(x.string()) : std::string();
  };
  (void)reader.visit("pools", pool_id, scratch, [&](const cache::ObjectView& v, std::string&) {
    f.found = true;
    f.name_label = text(v, "name_label");
    f.name_description = text(v, "name_description");
    f.master = text(v, "master");
  });
  if (!f.found) return f;
  cache::ScanCursor cursor;
  while (!cursor.done) {
    Status st = reader.scan("hosts", cursor, scratch, SIZE_MAX, [&](const cache::ObjectView& v, std::string&) {
      if (text(v, "$pool") == pool_id) f.addresses.push_back(text(v, "address"));
      return false;
    });
    if (!st.is_ok()) break;
  }
  return f;
}

// XO's server object (c.12) for one configured pool; the password is never shown.
std::string server_json(const config::PoolConfig& pool, const std::vector<cache::PoolStatus>& all,
                        const cache::Reader& reader) {
  const cache::PoolStatus* st = nullptr;
  for (const auto& s : all) {
    if (s.key == pool.name) st = &s;
  }
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "id", pool.name);
  put_kv(w, "label", pool.label.empty() ? pool.name : pool.label);
  put_kv(w, "host", pool.url);
  put_kv(w, "username", pool.user);
  w.Key("allowUnauthorized");
  w.Bool(pool.tls_mode() == config::TlsMode::kInsecure);
  w.Key("enabled");
  w.Bool(pool.enabled);
  w.Key("readOnly");
  w.Bool(pool.read_only);
  if (!pool.enabled) st = nullptr;  // disconnected over REST: no poller thread, no status
  put_kv(w, "status", !pool.enabled ? "disconnected" : st != nullptr ? state_name(st->state) : "connecting");
  if (st != nullptr) {
    if (!st->last_error.empty()) put_kv(w, "error", st->last_error);
    if (!st->pool_id.empty()) put_kv(w, "poolId", st->pool_id);
    if (st->last_sync_ms > 0) put_kv(w, "lastSync", st->last_sync_ms);
    PoolFacts f = st->pool_id.empty() ? PoolFacts() : pool_facts(reader, st->pool_id);
    if (f.found) {  // XO keeps these from the pool object it last saw
      put_kv(w, "poolNameLabel", f.name_label);
      put_kv(w, "poolNameDescription", f.name_description);
      w.Key("poolMembersAddresses");
      w.StartArray();
      for (const auto& a : f.addresses) put_string(w, a);
      w.EndArray();
      if (st->state == cache::layout::PoolState::kConnected && !f.master.empty()) put_kv(w, "master", f.master);
    }
  }
  w.EndObject();
  return text_of(b);
}

// The pool object id of the configured pool `name` ("" while never connected).
std::string pool_id_of(const std::vector<cache::PoolStatus>& statuses, std::string_view name) {
  for (const auto& s : statuses) {
    if (s.key == name) return s.pool_id;
  }
  return "";
}

}  // namespace

Status list_servers(Context& ctx) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  const auto statuses = ctx.svc.cache->reader().pool_statuses();
  ListWriter out(ctx.res, options, &ctx.req);
  for (const auto& pool : ctx.svc.config.pools) {
    if (out.full()) break;
    // A pool-scoped token sees its pools' servers only (one never connected: no pool id yet).
    if (!scope_allows_pool(ctx, pool_id_of(statuses, pool.name))) continue;
    const std::string href = "/rest/v0/servers/" + pool.name;
    rapidjson::Document doc;
    doc.Parse(server_json(pool, statuses, ctx.svc.cache->reader()).c_str());
    out.add_object(doc, href, filter);
  }
  out.finish();
  return Status::ok();
}

Status get_server(Context& ctx) {
  for (const auto& pool : ctx.svc.config.pools) {
    if (pool.name != ctx.params[0]) continue;
    const auto statuses = ctx.svc.cache->reader().pool_statuses();
    XR_RETURN_IF_ERROR(check_pool_scope(ctx, pool_id_of(statuses, pool.name), "this server"));
    send_json_with_etag(ctx, server_json(pool, statuses, ctx.svc.cache->reader()));
    return Status::ok();
  }
  return no_such("xenServer", ctx.params[0], &ctx.error_data);
}

}  // namespace xr::app

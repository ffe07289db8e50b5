#include "routes/server_admin_routes.h"

#include <signal.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include "auth/auth_store.h"
#include "auth/secrets.h"
#include "base/log.h"
#include "routes/http_errors.h"
#include "routes/mutation_target.h"
#include "servers/server_store.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

// XO's InsertableXoServer (httpProxy is not supported here: refused by name).
constexpr std::string_view kAddSchema =
    R"({"host":{"type":"string"},"username":{"type":"string"},"password":{"type":"string"},)"
    R"("label":{"type":"string","optional":true},"allowUnauthorized":{"type":"boolean","default":false},)"
    R"("readOnly":{"type":"boolean","default":false}})";
constexpr std::string_view kUpdateSchema =
    R"({"host":{"type":"string","optional":true},"username":{"type":"string","optional":true},)"
    R"("password":{"type":"string","optional":true},"label":{"type":"string","optional":true},)"
    R"("allowUnauthorized":{"type":"boolean","optional":true},"readOnly":{"type":"boolean","optional":true}})";

const config::PoolConfig* find_pool(const Context& ctx, std::string_view name) {
  for (const auto& p : ctx.svc.config.pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Status forbidden(Context& ctx, std::string message) {
  ctx.error_data = "{\"object\":{}}";
  return Status(ErrorKind::kForbidden, std::move(message));
}

// The stored server behind /servers/{id}: 404 for none, 403 for a pool of the config file.
Result<servers::StoredServer> stored_server(Context& ctx, servers::ServerStore& store) {
  const std::string& id = ctx.params[0];
  if (const config::PoolConfig* p = find_pool(ctx, id); p != nullptr && !p->from_store) {
    return forbidden(ctx, "the server " + id + " is defined in the config file: change it there");
  }
  auto s = store.get(id);
  if (!s.is_ok() && s.status().kind() == ErrorKind::kNotFound) return no_such("xenServer", id, &ctx.error_data);
  return s;
}

// Another server (of the file or the store) already connects to `url`.
bool host_taken(Context& ctx, servers::ServerStore& store, const std::string& url, std::string_view except_id) {
  for (const auto& p : ctx.svc.config.pools) {
    if (p.url == url && p.name != except_id) return true;
  }
  auto all = store.list();
  if (!all.is_ok()) return false;
  for (const auto& s : *all) {
    if (servers::url_of(s.host) == url && s.id != except_id) return true;
  }
  return false;
}

// Every role takes the change at once: the master reloads (the servers come with the
// reload), as after `systemctl reload`. The answer was sent before.
void reload_master() {
  if (kill(getppid(), SIGHUP) != 0) kLog.error("cannot ask the master to reload for a server change");
}

std::string text(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

Status set_enabled(Context& ctx, bool enabled) {
  XR_ASSIGN_OR_RETURN(auto store, servers::ServerStore::open(ctx.svc.db));
  XR_ASSIGN_OR_RETURN(servers::StoredServer s, stored_server(ctx, *store));
  s.enabled = enabled;
  XR_RETURN_IF_ERROR(store->update(s));
  ctx.res.send(204, "", "");
  reload_master();
  return Status::ok();
}

}  // namespace

Status add_server(Context& ctx) {
  XR_ASSIGN_OR_RETURN(rapidjson::Document p, read_params(ctx, kAddSchema));
  XR_ASSIGN_OR_RETURN(auto store, servers::ServerStore::open(ctx.svc.db));
  XR_ASSIGN_OR_RETURN(servers::SecretBox box, servers::SecretBox::open(ctx.svc.config.secret_key_path(), false));
  servers::StoredServer s;
  s.id = auth::new_uuid();
  s.host = text(p, "host");
  s.label = p.HasMember("label") ? text(p, "label") : s.host;
  s.username = text(p, "username");
  s.password_sealed = box.seal(text(p, "password"));
  s.allow_unauthorized = p["allowUnauthorized"].GetBool();
  s.read_only = p["readOnly"].GetBool();
  s.created_at = auth::now_ms();
  if (host_taken(ctx, *store, servers::url_of(s.host), s.id)) {
    return Status(ErrorKind::kConflict, "a server with host " + s.host + " already exists");
  }
  XR_RETURN_IF_ERROR(store->add(s));
  ctx.res.add_header("Location", "/rest/v0/servers/" + s.id);
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":\"" + s.id + "\"}");
  reload_master();
  return Status::ok();
}

Status update_server(Context& ctx) {
  XR_ASSIGN_OR_RETURN(auto store, servers::ServerStore::open(ctx.svc.db));
  XR_ASSIGN_OR_RETURN(servers::StoredServer s, stored_server(ctx, *store));
  XR_ASSIGN_OR_RETURN(rapidjson::Document p, read_params(ctx, kUpdateSchema));
  if (p.HasMember("host")) s.host = text(p, "host");
  if (p.HasMember("label")) s.label = text(p, "label");
  if (p.HasMember("username")) s.username = text(p, "username");
  if (p.HasMember("allowUnauthorized")) s.allow_unauthorized = p["allowUnauthorized"].GetBool();
  if (p.HasMember("readOnly")) s.read_only = p["readOnly"].GetBool();
  if (p.HasMember("password")) {
    XR_ASSIGN_OR_RETURN(servers::SecretBox box, servers::SecretBox::open(ctx.svc.config.secret_key_path(), false));
    s.password_sealed = box.seal(text(p, "password"));
  }
  if (host_taken(ctx, *store, servers::url_of(s.host), s.id)) {
    return Status(ErrorKind::kConflict, "a server with host " + s.host + " already exists");
  }
  XR_RETURN_IF_ERROR(store->update(s));
  ctx.res.send(204, "", "");
  reload_master();
  return Status::ok();
}

Status delete_server(Context& ctx) {
  XR_ASSIGN_OR_RETURN(auto store, servers::ServerStore::open(ctx.svc.db));
  XR_ASSIGN_OR_RETURN(servers::StoredServer s, stored_server(ctx, *store));
  XR_RETURN_IF_ERROR(store->remove(s.id));
  ctx.res.send(204, "", "");
  reload_master();
  return Status::ok();
}

Status connect_server(Context& ctx) { return set_enabled(ctx, true); }
Status disconnect_server(Context& ctx) { return set_enabled(ctx, false); }

Status check_pool_writable(Context& ctx, std::string_view pool) {
  const config::PoolConfig* p = find_pool(ctx, pool);
  if (p == nullptr || !p->read_only) return Status::ok();
  return forbidden(ctx, "the server " + (p->label.empty() ? p->name : p->label) + " is read-only");
}

}  // namespace xr::app

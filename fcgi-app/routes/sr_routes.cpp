#include "routes/sr_routes.h"

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "base/log.h"
#include "routes/http_errors.h"
#include "routes/mutation_target.h"
#include "routes/patch_body.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

const log::Logger kLog("worker");

using xapi::Value;

// XO's CreateSrBody (tsoa), in the catalogue's schema form (actions/params.h).
constexpr std::string_view kCreateSchema =
    R"({"hostId":{"type":"string"},)"
    R"("SR_type":{"type":"string","enum":["cephfs","dummy","ext","file","glusterfs","hba","iso","largeblock",)"
    R"("linstor","lvm","lvmofcoe","lvmohba","lvmoiscsi","moosefs","nfs","shm","smb","udev","xfs","zfs"]},)"
    R"("name_label":{"type":"string","minLength":0},"device_config":{"type":"object"},)"
    R"("name_description":{"type":"string","optional":true,"minLength":0},)"
    R"("content_type":{"type":"string","enum":["user","iso","disk"],"optional":true},)"
    R"("sm_config":{"type":"object","optional":true},"size":{"type":"number","optional":true,"minimum":0}})";

// XO's SHARED_SR_TYPES: network or SAN storage; every other type is local to its host.
bool shared_type(std::string_view t) {
  for (std::string_view s : {"cephfs", "glusterfs", "hba", "lvmofcoe", "lvmohba", "lvmoiscsi", "moosefs", "nfs", "smb"}) {
    if (s == t) return true;
  }
  return false;
}

std::string text(const rapidjson::Value& o, const char* key, std::string fallback = {}) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : fallback;
}

// A string map of the body as a XAPI struct; a non-string value is named in *errors.
Value string_map(const rapidjson::Value& o, const char* key, FieldErrors* errors) {
  Value out = Value::structure();
  auto it = o.FindMember(key);
  if (it == o.MemberEnd()) return out;
  for (const auto& m : it->value.GetObject()) {
    if (!m.value.IsString()) {
      errors->add("body." + std::string(key) + "." + m.name.GetString(), "invalid string value", json_text(m.value));
      continue;
    }
    out.add_member(m.name.GetString(), Value::string(std::string(m.value.GetString(), m.value.GetStringLength())));
  }
  return out;
}

Result<Value> call(Context& ctx, const std::string& pool, std::string_view method, std::vector<Value> args) {
  return ctx.svc.writes->call(pool, method, std::move(args));
}

std::vector<std::string> refs_of(const Value& record, std::string_view field) {
  std::vector<std::string> out;
  const Value* v = record.get(field);
  if (v == nullptr || !v->is_array()) return out;
  for (const Value& item : **v->as_array()) {
    if (auto s = item.as_string(); s.is_ok()) out.emplace_back(*s);
  }
  return out;
}

bool attached(Context& ctx, const std::string& pool, const std::string& pbd) {
  auto a = call(ctx, pool, "PBD.get_currently_attached", {Value::string(pbd)});
  return a.is_ok() && a->as_bool().is_ok() && *a->as_bool();
}

// XAPI's SR.destroy refusals that the PBD unplugs would otherwise come before (so that a
// refused DELETE leaves the SR plugged): managed VDIs, the indestructible flag, no PBDs.
Status check_destroyable(Context& ctx, const std::string& pool, const std::string& ref, const Value& sr) {
  const std::vector<std::string> pbds = refs_of(sr, "PBDs");
  if (pbds.empty()) return Status::xapi("SR_NO_PBDS", {ref});
  for (const std::string& vdi : refs_of(sr, "VDIs")) {
    auto managed = call(ctx, pool, "VDI.get_managed", {Value::string(vdi)});
    if (managed.is_ok() && managed->as_bool().is_ok() && *managed->as_bool()) return Status::xapi("SR_NOT_EMPTY", {});
  }
  if (const Value* oc = sr.get("other_config"); oc != nullptr && oc->get_string("indestructible") == "true") {
    return Status::xapi("SR_INDESTRUCTIBLE", {ref});
  }
  return Status::ok();
}

}  // namespace

Status create_sr(Context& ctx) {
  if (ctx.svc.writes == nullptr) return Status(ErrorKind::kUnavailable, "no XAPI access in this process");
  XR_ASSIGN_OR_RETURN(rapidjson::Document p, read_params(ctx, kCreateSchema));
  FieldErrors errors;
  Value device_config = string_map(p, "device_config", &errors);
  Value sm_config = string_map(p, "sm_config", &errors);
  if (!errors.empty()) return errors.status();
  const std::string type = text(p, "SR_type");
  if (type == "linstor") {
    ctx.res.send(501, "application/json; charset=utf-8",
                 R"({"error":"SR creation with SR_type \"linstor\" (XOSTOR) is not implemented yet"})");
    return Status::ok();
  }
  Target host;
  XR_RETURN_IF_ERROR(resolve_target(ctx, "hosts", text(p, "hostId"), &host));
  // As XO: an ISO library has content type iso, and is local only on a local path.
  const bool shared = type == "iso" ? device_config.get_string("legacy_mode") != "true" : shared_type(type);
  const std::string content_type = type == "iso" ? "iso" : text(p, "content_type", "user");
  const int64_t size = p.HasMember("size") ? static_cast<int64_t>(p["size"].GetDouble()) : 0;
  XR_ASSIGN_OR_RETURN(Value ref, call(ctx, host.pool, "SR.create",
                                      {Value::string(host.ref), std::move(device_config), Value::integer(size),
                                       Value::string(text(p, "name_label")), Value::string(text(p, "name_description")),
                                       Value::string(type), Value::string(content_type), Value::boolean(shared),
                                       std::move(sm_config)}));
  XR_ASSIGN_OR_RETURN(Value uuid, call(ctx, host.pool, "SR.get_uuid", {ref}));
  XR_ASSIGN_OR_RETURN(std::string_view id, uuid.as_string());
  XR_RETURN_IF_ERROR(wait_for_cache(ctx, host.pool, host.pool_ref));
  ctx.res.add_header("Location", "/rest/v0/srs/" + std::string(id));
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":\"" + std::string(id) + "\"}");
  return Status::ok();
}

Status delete_sr(Context& ctx) {
  if (ctx.svc.writes == nullptr) return Status(ErrorKind::kUnavailable, "no XAPI access in this process");
  Target t;
  XR_RETURN_IF_ERROR(resolve_target(ctx, "srs", ctx.params[0], &t));
  XR_RETURN_IF_ERROR(check_if_match(ctx, t));
  XR_ASSIGN_OR_RETURN(Value sr, call(ctx, t.pool, "SR.get_record", {Value::string(t.ref)}));
  XR_RETURN_IF_ERROR(check_destroyable(ctx, t.pool, t.ref, sr));
  // XO unplugs every PBD, then destroys. A refused unplug (a disk in use: VDI_IN_USE) plugs
  // the ones already unplugged back, so that a refused DELETE changes nothing.
  std::vector<std::string> unplugged;
  Status done;
  for (const std::string& pbd : refs_of(sr, "PBDs")) {
    if (!attached(ctx, t.pool, pbd)) continue;
    done = call(ctx, t.pool, "PBD.unplug", {Value::string(pbd)}).status();
    if (!done.is_ok()) break;
    unplugged.push_back(pbd);
  }
  if (done.is_ok()) done = call(ctx, t.pool, "SR.destroy", {Value::string(t.ref)}).status();
  if (!done.is_ok()) {
    for (const std::string& pbd : unplugged) {
      Status s = call(ctx, t.pool, "PBD.plug", {Value::string(pbd)}).status();
      if (!s.is_ok()) kLog.warn("DELETE SR: PBD " + pbd + " left unplugged: " + s.to_string());
    }
    XR_RETURN_IF_ERROR(wait_for_cache(ctx, t.pool, t.pool_ref));
    return done;
  }
  XR_RETURN_IF_ERROR(wait_for_cache(ctx, t.pool, t.pool_ref));
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace xr::app

#include "routes/mutation_target.h"

#include <array>
#include <utility>

#include "actions/params.h"
#include "routes/collection_routes.h"
#include "routes/etag.h"
#include "routes/server_admin_routes.h"
#include "worker/cache_access.h"
#include "worker/xapi_writes.h"

namespace xr::app {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kClasses = {{
    {"pools", "pool"}, {"hosts", "host"}, {"vms", "VM"}, {"vm-templates", "VM"},
    {"vm-snapshots", "VM"}, {"vm-controllers", "VM"}, {"vdis", "VDI"}, {"vdi-snapshots", "VDI"},
    {"srs", "SR"}, {"networks", "network"}, {"pifs", "PIF"}, {"vifs", "VIF"}, {"vbds", "VBD"},
    {"pbds", "PBD"}, {"sms", "SM"}, {"pcis", "PCI"}, {"pgpus", "PGPU"}}};

std::string member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view xapi_class_of(std::string_view collection) {
  for (const auto& [c, x] : kClasses) {
    if (c == collection) return x;
  }
  return {};
}

Status resolve_pool(Context& ctx, std::string_view pool_id, std::string* pool, std::string* pool_ref) {
  for (const cache::PoolStatus& st : ctx.svc.cache->reader().pool_statuses()) {
    if (st.pool_id == pool_id) *pool = st.key;
  }
  std::string json;
  const bool found = ctx.svc.cache->reader().get_json("pools", pool_id, json);
  rapidjson::Document doc;
  if (found) doc.Parse(json.data(), json.size());
  if (pool->empty() || !found || !doc.IsObject()) {
    return Status(ErrorKind::kUnavailable, "the pool of this object is not connected");
  }
  *pool_ref = member(doc, "_xapiRef");
  return Status::ok();
}

Status resolve_target(Context& ctx, std::string_view collection, std::string_view id, Target* out) {
  out->collection = collection;
  out->xapi_class = xapi_class_of(collection);
  XR_RETURN_IF_ERROR(load_object(ctx, collection, id, &out->json));
  rapidjson::Document doc;
  doc.Parse(out->json.data(), out->json.size());
  if (!doc.IsObject()) return Status(ErrorKind::kInternal, "cached object is not JSON");
  out->id = member(doc, "id");
  out->ref = member(doc, "_xapiRef");
  if (out->xapi_class.empty() || out->ref.empty()) {
    return Status(ErrorKind::kInternal, "no XAPI reference for " + std::string(collection));
  }
  const std::string pool_id = collection == "pools" ? out->id : member(doc, "$pool");
  XR_RETURN_IF_ERROR(resolve_pool(ctx, pool_id, &out->pool, &out->pool_ref));
  return check_pool_writable(ctx, out->pool);  // every mutation resolves its target here
}

Status check_if_match(Context& ctx, const Target& target) {
  std::string_view header = ctx.req.param("HTTP_IF_MATCH");
  if (header.empty()) return Status::ok();
  const std::string current = body_etag(target.json);
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view tag = trim(header.substr(0, comma));
    if (tag == "*" || tag == current) return Status::ok();  // weak tags never match (strong comparison)
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  ctx.error_data = "{\"etag\":\"" + current.substr(1, current.size() - 2) + "\"}";
  return Status(ErrorKind::kPreconditionFailed,
                "precondition failed: the object changed since the ETag given in If-Match");
}

Status read_json_object(Context& ctx, rapidjson::Document* doc) {
  constexpr size_t kMaxBody = 1 << 20;
  XR_ASSIGN_OR_RETURN(std::string body, ctx.req.read_body(kMaxBody));
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    doc->SetObject();
    return Status::ok();
  }
  if (doc->Parse(body.data(), body.size()).HasParseError() || !doc->IsObject()) {
    return Status(ErrorKind::kInvalidArgument, "the request body must be a JSON object");
  }
  return Status::ok();
}

Result<rapidjson::Document> read_params(Context& ctx, std::string_view schema) {
  rapidjson::Document body;
  XR_RETURN_IF_ERROR(read_json_object(ctx, &body));
  rapidjson::Document params;
  XR_RETURN_IF_ERROR(actions::validate_params(schema, body, &params));
  return params;
}

Status wait_for_cache(Context& ctx, const std::string& pool, const std::string& pool_ref) {
  return ctx.svc.writes->barrier(pool, pool_ref, ctx.svc.cache->reader(), kBarrierTimeoutMs);
}

Status apply_ops(Context& ctx, const std::string& pool, const std::string& pool_ref,
                 std::vector<XapiOp> ops) {
  if (ctx.svc.writes == nullptr) return Status(ErrorKind::kUnavailable, "no XAPI access in this process");
  Status failed;
  for (XapiOp& op : ops) {
    auto r = ctx.svc.writes->call(pool, op.method, std::move(op.args));
    if (!r.is_ok() && !op.retry_on.empty() && r.status().kind() == ErrorKind::kXapi &&
        r.status().code().starts_with(op.retry_on)) {
      r = ctx.svc.writes->call(pool, op.method, std::move(op.retry_args));
    }
    if (!r.is_ok()) {
      failed = r.status();
      break;
    }
  }
  // Even after a failure, what was applied before it is waited for: the answer never
  // precedes a change the caller could then fail to see.
  Status barrier = wait_for_cache(ctx, pool, pool_ref);
  if (!failed.is_ok()) return failed;
  return barrier;
}

}  // namespace xr::app

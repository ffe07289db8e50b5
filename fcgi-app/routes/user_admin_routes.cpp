#include "routes/user_admin_routes.h"

#include <rapidjson/document.h>

#include "routes/http_errors.h"
#include "routes/mutation_target.h"
#include "routes/json_text.h"
#include "worker/credential_cache.h"

namespace xr::app {

namespace {

// XO's bodies (tsoa: CreateUser, UpdateUserRequestBody), in the action catalogue's schema
// form so that actions::validate_params reports every bad key as XO's 422 field map.
// XO's new users have permission "none" unless told otherwise. XO's `preferences` are not
// kept here (a 422 names the key: nothing is silently dropped).
constexpr std::string_view kCreateSchema =
    R"({"name":{"type":"string"},"password":{"type":"string"},)"
    R"("permission":{"type":"string","enum":["none","admin"],"default":"none"}})";
constexpr std::string_view kUpdateSchema =
    R"({"name":{"type":"string","optional":true},"password":{"type":"string","optional":true},)"
    R"("permission":{"type":"string","enum":["none","admin"],"optional":true}})";

std::optional<std::string> opt(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Status forbidden(Context& ctx, std::string message) {
  ctx.error_data = "{\"object\":{}}";
  return Status(ErrorKind::kForbidden, std::move(message));
}

// The user named by the path, or XO's 404 body.
Status check_exists(Context& ctx) {
  auto u = ctx.svc.auth.find_user(ctx.params[0]);
  if (u.is_ok()) return Status::ok();
  if (u.status().kind() == ErrorKind::kNotFound) return no_such("user", ctx.params[0], &ctx.error_data);
  return u.status();
}

}  // namespace

Status create_user(Context& ctx) {
  XR_ASSIGN_OR_RETURN(rapidjson::Document p, read_params(ctx, kCreateSchema));
  XR_ASSIGN_OR_RETURN(auth::User u, ctx.svc.auth.add_user(*opt(p, "name"), *opt(p, "password"), *opt(p, "permission")));
  ctx.res.add_header("Location", "/rest/v0/users/" + u.id);
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":\"" + u.id + "\"}");
  return Status::ok();
}

Status update_user(Context& ctx) {
  XR_RETURN_IF_ERROR(check_exists(ctx));
  XR_ASSIGN_OR_RETURN(rapidjson::Document p, read_params(ctx, kUpdateSchema));
  auth::AuthStore::UserChange change{opt(p, "name"), opt(p, "password"), opt(p, "permission")};
  // As XO: nobody changes their own permission (an admin cannot demote itself by mistake).
  if (change.permission && ctx.params[0] == ctx.user->id && *change.permission != ctx.user->permission) {
    return forbidden(ctx, "cannot change own permission");
  }
  if (!change.name && !change.password && !change.permission) {
    ctx.res.send(204, "", "");
    return Status::ok();
  }
  XR_RETURN_IF_ERROR(ctx.svc.auth.update_user(ctx.params[0], change).status());
  ctx.svc.credentials.invalidate();  // the old password or permission ends in every worker now
  ctx.res.send(204, "", "");
  return Status::ok();
}

Status delete_user(Context& ctx) {
  if (ctx.params[0] == ctx.user->id) return forbidden(ctx, "a user cannot delete itself");
  XR_RETURN_IF_ERROR(check_exists(ctx));
  XR_RETURN_IF_ERROR(ctx.svc.auth.delete_user(ctx.params[0]));
  ctx.svc.credentials.invalidate();
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace xr::app

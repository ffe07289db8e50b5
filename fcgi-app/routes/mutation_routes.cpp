#include "routes/mutation_routes.h"

#include "routes/json_text.h"
#include "routes/mutation_target.h"
#include "routes/patch_body.h"

namespace xr::app {

namespace {

// Route rows are "rest/v0/<collection>/{id}[/tags/{tag}]": the collection is segment 2.
const std::string& collection_of(Context& ctx) { return ctx.req.segments()[2]; }

// XAPI strings are UTF-8: a tag that is not (a stray %FF) never reaches it.
bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 0 : (c >= 0xC2 && c < 0xE0) ? 1 : (c >= 0xE0 && c < 0xF0) ? 2
                   : (c >= 0xF0 && c < 0xF5) ? 3 : 99;
    if (n == 99 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

Status change_tag(Context& ctx, std::string_view setter) {
  Target t;
  XR_RETURN_IF_ERROR(resolve_target(ctx, collection_of(ctx), ctx.params[0], &t));
  const std::string& tag = ctx.params[1];
  if (!valid_utf8(tag)) {
    FieldErrors errors;
    errors.add("tag", "invalid string value (not UTF-8)", "null");
    return errors.status();
  }
  XR_RETURN_IF_ERROR(check_if_match(ctx, t));
  std::vector<XapiOp> ops;
  ops.push_back({t.xapi_class + "." + std::string(setter), {xapi::Value::string(t.ref), xapi::Value::string(tag)}});
  XR_RETURN_IF_ERROR(apply_ops(ctx, t.pool, t.pool_ref, std::move(ops)));
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace

Status patch_object(Context& ctx) {
  Target t;
  XR_RETURN_IF_ERROR(resolve_target(ctx, collection_of(ctx), ctx.params[0], &t));
  rapidjson::Document body;
  XR_RETURN_IF_ERROR(read_json_object(ctx, &body));
  XR_ASSIGN_OR_RETURN(PatchPlan plan, plan_patch(ctx, t, body));
  if (!plan.not_implemented.empty()) {
    ctx.res.send(501, "application/json; charset=utf-8", "{\"error\":" + json_string(plan.not_implemented) + "}");
    return Status::ok();
  }
  XR_RETURN_IF_ERROR(check_if_match(ctx, t));
  if (!plan.ops.empty()) XR_RETURN_IF_ERROR(apply_ops(ctx, t.pool, t.pool_ref, std::move(plan.ops)));
  ctx.res.send(204, "", "");
  return Status::ok();
}

Status put_tag(Context& ctx) { return change_tag(ctx, "add_tags"); }
Status delete_tag(Context& ctx) { return change_tag(ctx, "remove_tags"); }

}  // namespace xr::app

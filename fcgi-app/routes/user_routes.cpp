#include "routes/user_routes.h"
#include "routes/http_errors.h"

#include <rapidjson/document.h>

#include "auth/secrets.h"
#include "auth/token_validity.h"
#include "routes/etag.h"
#include "routes/json_text.h"
#include "routes/list_output.h"
#include "routes/scope_check.h"
#include "worker/credential_cache.h"

namespace xr::app {

namespace {

constexpr size_t kMaxBody = 64 * 1024;

// XO's user shape (c.12); the login name is both "name" and "email", as XO users have.
void write_user(JsonWriter& w, const auth::User& u) {
  w.StartObject();
  put_kv(w, "id", u.id);
  put_kv(w, "name", u.name);
  put_kv(w, "email", u.name);
  put_kv(w, "permission", u.permission);
  w.Key("groups");
  w.StartArray();
  w.EndArray();
  w.Key("preferences");
  w.StartObject();
  w.EndObject();
  put_kv(w, "pw_hash", "***obfuscated***");  // as XO: every user here has a password
  w.EndObject();
}

void write_token(JsonWriter& w, const auth::TokenInfo& t, std::string_view id) {
  w.StartObject();
  put_kv(w, "id", id);
  put_kv(w, "user_id", t.user_id);
  put_kv(w, "created_at", t.created_at);
  put_kv(w, "expiration", t.expiration);
  if (!t.description.empty()) put_kv(w, "description", t.description);
  if (!t.client_id.empty()) {
    w.Key("client");
    w.StartObject();
    put_kv(w, "id", t.client_id);
    w.EndObject();
  }
  if (t.scope) {  // ours (issue 17): what a scoped token may do
    w.Key("scope");
    const std::string scope = auth::scope_to_json(*t.scope);
    w.RawValue(scope.c_str(), scope.size(), rapidjson::kObjectType);
  }
  if (t.last_use) {
    w.Key("last_uses");
    w.StartObject();
    w.Key("unknown");  // XO keys last uses by client IP; we keep only the time
    w.StartObject();
    put_kv(w, "timestamp", *t.last_use);
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

// Only one's own tokens, as XO: anyone else's id is a 403.
Status check_self(Context& ctx) {
  if (ctx.params[0] != ctx.user->id) {
    ctx.error_data = "{\"object\":{}}";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  return Status::ok();
}

// XO's expiresIn: a duration string as its parser reads it, or milliseconds; the same
// bounds as the CLI's --expires (auth/token_validity.h).
Result<int64_t> requested_validity(const rapidjson::Document& body, const config::Config& cfg) {
  if (!body.IsObject() || !body.HasMember("expiresIn")) return cfg.token_validity_days * 86'400'000;
  const auto& v = body["expiresIn"];
  if (v.IsString()) return auth::token_validity_ms(v.GetString());
  if (!v.IsNumber()) {
    return Status(ErrorKind::kInvalidArgument, "expiresIn must be a duration or milliseconds");
  }
  const double d = v.GetDouble();
  const int64_t ms = d > 1e15 ? INT64_MAX : d < -1e15 ? INT64_MIN : static_cast<int64_t>(d);
  XR_RETURN_IF_ERROR(auth::check_token_validity(ms, v.IsInt64() ? std::to_string(v.GetInt64())
                                                                 : std::to_string(d)));
  return ms;
}

// XO's optional `client: {id}`: tokens of one client replace each other.
Result<std::string> requested_client(const rapidjson::Document& body) {
  if (!body.IsObject() || !body.HasMember("client")) return std::string();
  const auto& c = body["client"];
  if (!c.IsObject() || !c.HasMember("id") || !c["id"].IsString() || c["id"].GetStringLength() == 0) {
    return Status(ErrorKind::kInvalidArgument, "client must be an object with a non-empty string id");
  }
  return std::string(c["id"].GetString(), c["id"].GetStringLength());
}

// Ours (issue 17): `scope: {readOnly, pools, collections, actions}` narrows the new token.
Result<std::optional<auth::TokenScope>> requested_scope(const rapidjson::Document& body) {
  if (!body.IsObject() || !body.HasMember("scope") || body["scope"].IsNull()) {
    return std::optional<auth::TokenScope>();
  }
  XR_ASSIGN_OR_RETURN(auth::TokenScope s, auth::scope_from_json(body["scope"]));
  return std::optional<auth::TokenScope>(std::move(s));
}

Status create_token_for(Context& ctx, const std::string& user_id) {
  XR_ASSIGN_OR_RETURN(std::string body, ctx.req.read_body(kMaxBody));
  rapidjson::Document doc;
  if (!body.empty() && (doc.Parse(body.c_str()).HasParseError() || !doc.IsObject())) {
    return Status(ErrorKind::kInvalidArgument, "the body is not a JSON object");
  }
  XR_ASSIGN_OR_RETURN(int64_t validity, requested_validity(doc, ctx.svc.config));
  XR_ASSIGN_OR_RETURN(std::string client, requested_client(doc));
  XR_ASSIGN_OR_RETURN(std::optional<auth::TokenScope> asked, requested_scope(doc));
  XR_ASSIGN_OR_RETURN(std::optional<auth::TokenScope> scope, scope_for_new_token(ctx, std::move(asked)));
  std::string description;
  if (doc.IsObject() && doc.HasMember("description") && doc["description"].IsString()) {
    description = doc["description"].GetString();
  }
  XR_ASSIGN_OR_RETURN(auth::CreatedToken created,
                      ctx.svc.auth.create_token(user_id, validity, description, auth::now_ms(), client, scope));
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  w.Key("token");
  // As XO: the token object's id is the secret itself (shown this once).
  write_token(w, created.info, created.token);
  w.EndObject();
  ctx.res.send(201, "application/json; charset=utf-8", text_of(b));
  return Status::ok();
}

}  // namespace

Status redirect_me(Context& ctx) {
  // Everything the client sent is re-encoded: the decoded rest of the path may hold CR/LF
  // (response splitting), the raw query any byte nginx lets through.
  std::string location = "/rest/v0/users/" + url_encode(ctx.user->id, "");
  if (!ctx.params.empty()) location += url_encode(ctx.params[0], "/!$&'()*+,;=:@");
  std::string_view qs = ctx.req.param("QUERY_STRING");
  if (!qs.empty()) location.append("?").append(url_encode(qs, "/?!$&'()*+,;=:@%"));
  ctx.res.add_header("Location", location);
  ctx.res.send(307, "text/plain; charset=utf-8", "Temporary Redirect. Redirecting to " + location);
  return Status::ok();
}

Status list_users(Context& ctx) {
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(std::vector<auth::User> users, ctx.svc.auth.list_users());
  ListWriter out(ctx.res, options, &ctx.req);
  for (const auto& u : users) {
    if (out.full()) break;
    const std::string href = "/rest/v0/users/" + u.id;
    rapidjson::StringBuffer b;
    JsonWriter w(b);
    write_user(w, u);
    rapidjson::Document doc;
    doc.Parse(b.GetString(), b.GetSize());
    out.add_object(doc, href, filter);
  }
  out.finish();
  return Status::ok();
}

Status get_user(Context& ctx) {
  if (ctx.params[0] != ctx.user->id && ctx.user->permission != "admin") return check_self(ctx);
  auto user = ctx.svc.auth.find_user(ctx.params[0]);
  if (!user.is_ok()) {
    if (user.status().kind() == ErrorKind::kNotFound) {
      return no_such("user", ctx.params[0], &ctx.error_data);
    }
    return user.status();
  }
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  write_user(w, *user);
  send_json_with_etag(ctx, text_of(b));
  return Status::ok();
}

Status list_tokens(Context& ctx) {
  XR_RETURN_IF_ERROR(check_self(ctx));
  XR_ASSIGN_OR_RETURN(ListOptions options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(auto filter, compile_list_filter(options, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(std::vector<auth::TokenInfo> tokens, ctx.svc.auth.list_tokens(ctx.user->id));
  options.has_fields = true;  // XO answers token objects here, not hrefs
  options.all_fields = true;
  ctx.res.set_content_type(options.ndjson ? "application/x-ndjson" : "application/json; charset=utf-8");
  ListWriter out(ctx.res, options, &ctx.req);
  for (const auto& t : tokens) {
    if (out.full()) break;
    rapidjson::StringBuffer b;
    JsonWriter w(b);
    write_token(w, t, t.id);
    rapidjson::Document doc;
    doc.Parse(b.GetString(), b.GetSize());
    if (passes(filter, doc)) out.add_json(text_of(b));
  }
  out.finish();
  return Status::ok();
}

Status create_token(Context& ctx) {
  XR_RETURN_IF_ERROR(check_self(ctx));
  return create_token_for(ctx, ctx.user->id);
}

Status create_own_token(Context& ctx) { return create_token_for(ctx, ctx.user->id); }

Status delete_token(Context& ctx) {
  XR_RETURN_IF_ERROR(check_self(ctx));
  std::string id = ctx.params[1];
  // Accept the secret too (XO's token id is the token): map it to our public id.
  if (id.size() == 43) id = auth::token_id(auth::hash_token(id));
  Status s = ctx.svc.auth.revoke_token(id, ctx.user->id);
  if (s.kind() == ErrorKind::kNotFound) {
    rapidjson::StringBuffer b;
    JsonWriter w(b);
    w.StartObject();
    put_kv(w, "id", id);
    put_kv(w, "type", "authentication token");
    w.EndObject();
    ctx.error_data = text_of(b);
  }
  XR_RETURN_IF_ERROR(s);
  ctx.svc.credentials.invalidate();  // every worker's cache, at once
  ctx.res.send(204, "", "");
  return Status::ok();
}

}  // namespace xr::app

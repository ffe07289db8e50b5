#include "routes/session_routes.h"

#include <optional>
#include <string>

#include "auth/secrets.h"
#include "base/log.h"
#include "routes/authenticate.h"
#include "routes/http_errors.h"
#include "worker/credential_cache.h"
#include "worker/login_guard.h"

namespace xr::app {

namespace {

const log::Logger kLog("session");

constexpr size_t kMaxFormBytes = 8192;
// nginx serves the UI's index.html from this internal location (nginx/dev.conf.in and the
// packaged site's optional UI block).
constexpr std::string_view kUiIndex = "/_xr_ui/index.html";

// The sign-in form: one page, no script, no outside resource.
std::string signin_page(std::string_view message, std::string_view redirect) {
  std::string page =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Sign in - xapi-rest</title><style>"
      "body{font-family:system-ui,sans-serif;background:#f4f4f8;display:flex;justify-content:center;"
      "margin:0;padding-top:12vh}form{background:#fff;padding:2em;border-radius:8px;"
      "box-shadow:0 2px 8px #0002;width:18em}h1{font-size:1.3em;margin:0 0 1em}"
      "label{display:block;margin:.8em 0 .2em}input{width:100%;box-sizing:border-box;padding:.5em}"
      "button{margin-top:1.2em;width:100%;padding:.6em;background:#8f84ff;color:#fff;border:0;"
      "border-radius:4px;font-size:1em}p.error{color:#be1621}</style></head><body>\n"
      "<form method=\"post\" action=\"/signin\"><h1>Sign in</h1>\n";
  if (!message.empty()) page += "<p class=\"error\" role=\"alert\">" + html_escape(message) + "</p>\n";
  page +=
      "<label for=\"username\">User</label><input id=\"username\" name=\"username\" "
      "autocomplete=\"username\" required autofocus>\n"
      "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" "
      "type=\"password\" autocomplete=\"current-password\" required>\n";
  if (redirect != "/") {
    page += "<input type=\"hidden\" name=\"redirect\" value=\"" + html_escape(redirect) + "\">\n";
  }
  page += "<button type=\"submit\">Sign in</button></form>\n</body></html>\n";
  return page;
}

void send_page(Context& ctx, int status, std::string_view message, std::string_view redirect) {
  ctx.res.add_header("Cache-Control", "no-store");
  ctx.res.add_header("X-Frame-Options", "DENY");
  ctx.res.add_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  ctx.res.send(status, "text/html; charset=utf-8", signin_page(message, redirect));
}

void redirect_to(Context& ctx, int status, std::string_view location) {
  ctx.res.add_header("Location", location);
  ctx.res.add_header("Cache-Control", "no-store");
  ctx.res.send(status, "", "");
}

std::string cookie_header(const Context& ctx, std::string_view value, int64_t max_age_s) {
  std::string c = "authenticationToken=" + std::string(value) + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                  std::to_string(max_age_s);
  if (!ctx.req.param("HTTPS").empty()) c += "; Secure";  // the request came over TLS
  return c;
}

std::string form_value(const std::vector<std::pair<std::string, std::string>>& form, std::string_view key) {
  for (const auto& [k, v] : form) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace

std::string safe_redirect(std::string_view redirect) {
  if (redirect.size() < 1 || redirect.size() > 2048 || redirect[0] != '/') return "/";
  if (redirect.size() > 1 && (redirect[1] == '/' || redirect[1] == '\\')) return "/";
  for (char c : redirect) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e || c == '\\') return "/";
  }
  return std::string(redirect);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Status get_ui_root(Context& ctx) {
  if (!session_user(ctx.req, ctx.svc).is_ok()) {
    redirect_to(ctx, 302, "/signin");
    return Status::ok();
  }
  ctx.res.add_header("X-Accel-Redirect", kUiIndex);
  ctx.res.send(200, "text/html; charset=utf-8", "");
  return Status::ok();
}

Status get_signin(Context& ctx) {
  send_page(ctx, 200, "", safe_redirect(ctx.req.query_value("redirect").value_or("/")));
  return Status::ok();
}

Status post_signin(Context& ctx) {
  XR_RETURN_IF_ERROR(check_same_site(ctx.req));  // no sign-in forced on us by another site
  auto body = ctx.req.read_body(kMaxFormBytes);
  if (!body.is_ok()) return Status(ErrorKind::kInvalidArgument, "the sign-in form is too large");
  const auto form = parse_query(*body);
  const std::string redirect = safe_redirect(form_value(form, "redirect"));
  const std::string name = form_value(form, "username");
  auto user = check_login(name, form_value(form, "password"), ctx.req, ctx.svc, ctx.res);
  if (!user.is_ok()) {
    const bool wrong = user.status().kind() == ErrorKind::kUnauthorized;
    send_page(ctx, http_status(user.status()),
              wrong ? "Wrong user name or password." : "Sign-in refused for now: " + user.status().message(),
              redirect);
    return Status::ok();
  }
  const int64_t validity_ms = ctx.svc.config.session_validity_hours * 3'600'000;
  std::string address(ctx.req.param("REMOTE_ADDR"));
  XR_ASSIGN_OR_RETURN(auth::CreatedToken token,
                      ctx.svc.auth.create_token(user->id, validity_ms, "web session (sign-in from " + address + ")",
                                                auth::now_ms()));
  kLog.info("web session opened: user \"" + log_escape(user->name) + "\" from " + log_escape(address) +
            ", token " + token.info.id);
  ctx.res.add_header("Set-Cookie", cookie_header(ctx, token.token, validity_ms / 1000));
  redirect_to(ctx, 303, redirect);
  return Status::ok();
}

Status get_signout(Context& ctx) {
  std::optional<std::string> token = ctx.req.cookie("authenticationToken");
  if (!token) token = ctx.req.cookie("token");
  if (token && token->size() == 43) {  // a token's secret (any other value: nothing to revoke)
    const std::string id = auth::token_id(auth::hash_token(*token));
    auto user = session_user(ctx.req, ctx.svc);
    if (user.is_ok() && ctx.svc.auth.revoke_token(id, user->id).is_ok()) {
      ctx.svc.credentials.invalidate();  // every process stops using it at once
      kLog.info("web session closed: user \"" + log_escape(user->name) + "\", token " + id);
    }
  }
  ctx.res.add_header("Set-Cookie", cookie_header(ctx, "", 0));
  if (ctx.req.cookie("token")) ctx.res.add_header("Set-Cookie", "token=; Path=/; Max-Age=0");
  redirect_to(ctx, 302, "/signin");
  return Status::ok();
}

}  // namespace xr::app

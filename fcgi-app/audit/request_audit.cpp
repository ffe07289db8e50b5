#include "audit/request_audit.h"

#include <sodium.h>

#include "audit/audit_log.h"
#include "auth/secrets.h"
#include "routes/route_table.h"

namespace xr::app {

namespace {

constexpr size_t kMaxField = 256;  // a path or a name tried is cut there

std::string cut(std::string_view s) { return std::string(s.substr(0, kMaxField)); }

bool is_read(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

std::optional<std::string> presented_token(const Request& req) {
  auto t = req.cookie("authenticationToken");
  return t ? t : req.cookie("token");
}

// The user name of a Basic Authorization header (the password is never kept).
std::string basic_user(std::string_view header) {
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return "";
  const std::string_view encoded = header.substr(space + 1);
  std::string decoded(encoded.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.data(),
                        encoded.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return "";
  }
  decoded.resize(len);
  const std::string name = decoded.substr(0, decoded.find(':'));
  sodium_memzero(decoded.data(), decoded.size());
  return cut(name);
}

// The XO task an action answered with (its Location), "" when none.
std::string task_of(const Response& res) {
  static constexpr std::string_view kPrefix = "Location: /rest/v0/tasks/";
  const std::string& h = res.extra_headers();
  const size_t at = h.find(kPrefix);
  if (at == std::string::npos) return "";
  const size_t start = at + kPrefix.size();
  return cut(std::string_view(h).substr(start, h.find_first_of("\r\n?", start) - start));
}

// Who and from where: the record of a request answered `status` (event "login_failed" when
// credentials were given and refused, else "request").
AuditRecord who_record(const Request& req, const std::optional<auth::User>& user, int status) {
  const std::optional<std::string> token = presented_token(req);
  const std::string_view authorization = req.param("HTTP_AUTHORIZATION");
  const bool credentials = token.has_value() || !authorization.empty();
  AuditRecord r;
  r.event = !user && credentials && (status == 401 || status == 429) ? "login_failed" : "request";
  if (user) {
    r.user = user->name;
    r.user_id = user->id;
    r.token_id = user->token_id;
  } else if (token) {
    r.token_id = auth::token_id(auth::hash_token(*token));  // the public id, never the token
  } else {
    r.user = basic_user(authorization);
  }
  r.address = cut(req.param("REMOTE_ADDR"));
  r.method = cut(req.method());
  r.status = status;
  return r;
}

}  // namespace

void audit_request(const Context& ctx, bool changes) {
  const Request& req = ctx.req;
  AuditRecord r = who_record(req, ctx.user, ctx.res.status());
  const bool change = changes && ctx.route != nullptr && !is_read(req.method());
  if (r.event != "login_failed" && !change) return;
  r.route = ctx.route != nullptr ? "/" + std::string(ctx.route->pattern) : cut(req.raw_path());
  // Only the first capture: a later one may be a token given as its id (DELETE .../tokens/{id}).
  if (!ctx.params.empty()) r.object = cut(ctx.params[0]);
  r.task_id = task_of(ctx.res);
  write_audit(ctx.svc.config, r);
}

void audit_console(const Services& svc, const Request& req, const std::optional<auth::User>& user,
                   std::string_view vm_id, int status) {
  AuditRecord r = who_record(req, user, status);
  if (r.event == "request") r.event = "console";
  r.route = "/api/consoles/{id}";
  r.object = cut(vm_id);
  write_audit(svc.config, r);
}

}  // namespace xr::app

#include "routes/authenticate.h"

#include <cctype>
#include <cstdint>
#include <string>

#include "base/log.h"
#include "worker/credential_cache.h"
#include "worker/login_guard.h"

namespace xr::app {

namespace {

const log::Logger kLog("auth");

Status invalid_credentials() { return Status(ErrorKind::kUnauthorized, "invalid credentials"); }

Result<auth::User> check_token(const std::string& token, Services& svc) {
  using Kind = CredentialCache::Kind;
  if (auto u = svc.credentials.find(Kind::kToken, token)) return *u;
  const uint64_t generation = svc.credentials.generation();  // before the check: see remember()
  int64_t expiration = 0;
  auto user = svc.auth.check_token(token, auth::now_ms(), &expiration);
  if (!user.is_ok()) {
    return user.status().kind() == ErrorKind::kUnauthorized ? invalid_credentials() : user.status();
  }
  svc.credentials.remember(Kind::kToken, token, *user, generation, expiration);
  return user;
}

// One password check behind the guard: throttled names and addresses are refused before
// any hashing, the hash itself waits for one of the shared slots.
Result<auth::User> check_password(std::string_view name, std::string_view password,
                                  std::string_view address, Services& svc, Response& res) {
  if (svc.login == nullptr) return svc.auth.check_password(name, password);
  int retry_after_s = 0;
  Status admitted = svc.login->admit(name, address, LoginGuard::Clock::now(), &retry_after_s);
  if (!admitted.is_ok()) {
    res.add_header("Retry-After", std::to_string(retry_after_s));
    return admitted;
  }
  auto slot = svc.login->take_slot();
  if (!slot.is_ok()) {
    kLog.warn("login of user \"" + log_escape(name) + "\" from " + log_escape(address) +
              " refused: every password-hash slot is busy");
    res.add_header("Retry-After", "1");
    return slot.status();
  }
  auto user = svc.auth.check_password(name, password);
  if (user.is_ok()) {
    svc.login->succeeded(name);
  } else if (user.status().kind() == ErrorKind::kUnauthorized) {
    svc.login->failed(name, address, LoginGuard::Clock::now());
    kLog.warn("login failed: user \"" + log_escape(name) + "\" from " + log_escape(address));
  }
  return user;
}

Result<auth::User> check_basic(std::string_view header, std::string_view address, Services& svc,
                               Response& res) {
  using Kind = CredentialCache::Kind;
  XR_ASSIGN_OR_RETURN(const std::string decoded, basic_credentials(header));
  const size_t colon = decoded.find(':');
  if (auto u = svc.credentials.find(Kind::kBasic, decoded)) return *u;
  const uint64_t generation = svc.credentials.generation();
  auto user = check_password(std::string_view(decoded).substr(0, colon),
                             std::string_view(decoded).substr(colon + 1), address, svc, res);
  if (!user.is_ok()) {
    return user.status().kind() == ErrorKind::kUnauthorized ? invalid_credentials() : user.status();
  }
  svc.credentials.remember(Kind::kBasic, decoded, *user, generation, INT64_MAX);
  return user;
}

bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "scheme://host:port" of an Origin or a Referer, the port written even when it is the
// scheme's default ("" when it is no such URL, e.g. Origin: null).
std::string origin_of(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return "";
  const std::string scheme = lower(url.substr(0, sep));
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return "";
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  const bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) return scheme + "://" + lower(authority);
  return scheme + "://" + lower(authority) + (scheme == "https" ? ":443" : scheme == "http" ? ":80" : "");
}

// This site as the request reached nginx: the scheme, Host (Debian's fastcgi_params pass
// $host, without the port) and the port nginx listens on.
std::string own_origin(const Request& req) {
  const std::string_view host = req.param("HTTP_HOST");
  if (host.empty()) return "";
  const std::string scheme = req.param("HTTPS").empty() ? "http" : "https";
  const std::string_view port = req.param("SERVER_PORT");
  const size_t bracket = host.rfind(']');
  const size_t colon = host.rfind(':');
  const bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string url = scheme + "://" + std::string(host);
  if (!has_port && !port.empty()) url += ":" + std::string(port);
  return origin_of(url);
}

}  // namespace

Result<auth::User> check_login(std::string_view name, std::string_view password, const Request& req,
                               Services& svc, Response& res) {
  auto user = check_password(name, password, req.param("REMOTE_ADDR"), svc, res);
  if (!user.is_ok() && user.status().kind() == ErrorKind::kUnauthorized) return invalid_credentials();
  return user;
}

Result<auth::User> session_user(const Request& req, Services& svc) {
  std::optional<std::string> token = req.cookie("authenticationToken");
  if (!token) token = req.cookie("token");
  if (!token) return invalid_credentials();
  return check_token(*token, svc);
}

bool authenticated_by_cookie(const Request& req) {
  return req.param("HTTP_AUTHORIZATION").empty() &&
         (req.cookie("authenticationToken") || req.cookie("token"));
}

Status check_same_site(const Request& req) {
  if (is_safe_method(req.method())) return Status::ok();
  std::string_view origin = req.param("HTTP_ORIGIN");
  std::string_view from = origin.empty() ? req.param("HTTP_REFERER") : origin;
  if (from.empty()) return Status::ok();
  const std::string self = own_origin(req);
  if (!self.empty() && origin_of(from) == self) return Status::ok();
  kLog.warn("cross-site " + std::string(req.method()) + " refused (from " + log_escape(origin_of(from)) +
            ", address " + log_escape(req.param("REMOTE_ADDR")) + ")");
  return Status(ErrorKind::kForbidden, "cross-site request refused: the session cookie works only from this site");
}

Result<std::optional<auth::User>> authenticate(const Request& req, Services& svc, Response& res) {
  std::optional<std::string> token = req.cookie("authenticationToken");
  if (!token) token = req.cookie("token");
  std::string_view authorization = req.param("HTTP_AUTHORIZATION");
  if (token && !authorization.empty()) {
    return Status(ErrorKind::kInvalidArgument,
                  "Having multiple authentication methods is not supported, please choose one");
  }
  if (token) {
    XR_ASSIGN_OR_RETURN(auth::User u, check_token(*token, svc));
    return std::optional<auth::User>(std::move(u));
  }
  if (!authorization.empty()) {
    XR_ASSIGN_OR_RETURN(auth::User u, check_basic(authorization, req.param("REMOTE_ADDR"), svc, res));
    return std::optional<auth::User>(std::move(u));
  }
  return std::optional<auth::User>();
}

}  // namespace xr::app

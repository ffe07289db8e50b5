#include "routes/authenticate.h"

#include <sodium.h>

#include "worker/credential_cache.h"

namespace xr::app {

namespace {

Status invalid_credentials() { return Status(ErrorKind::kUnauthorized, "invalid credentials"); }

Result<auth::User> check_token(const std::string& token, Services& svc) {
  using Kind = CredentialCache::Kind;
  if (auto u = svc.credentials.find(Kind::kToken, token)) return *u;
  auto user = svc.auth.check_token(token, auth::now_ms());
  if (!user.is_ok()) {
    return user.status().kind() == ErrorKind::kUnauthorized ? invalid_credentials() : user.status();
  }
  svc.credentials.remember(Kind::kToken, token, *user);
  return user;
}

Result<auth::User> check_basic(std::string_view header, Services& svc) {
  using Kind = CredentialCache::Kind;
  size_t space = header.find(' ');
  if (space == std::string_view::npos) {
    return Status(ErrorKind::kInvalidArgument, "Malformed Authorization header");
  }
  // Any scheme is decoded as Basic, like XO: a Bearer token simply fails.
  std::string_view encoded = header.substr(space + 1);
  std::string decoded(encoded.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        encoded.data(), encoded.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return invalid_credentials();
  }
  decoded.resize(len);
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return invalid_credentials();
  if (auto u = svc.credentials.find(Kind::kBasic, decoded)) return *u;
  auto user = svc.auth.check_password(decoded.substr(0, colon), decoded.substr(colon + 1));
  if (!user.is_ok()) {
    return user.status().kind() == ErrorKind::kUnauthorized ? invalid_credentials() : user.status();
  }
  svc.credentials.remember(Kind::kBasic, decoded, *user);
  return user;
}

}  // namespace

Result<std::optional<auth::User>> authenticate(const Request& req, Services& svc) {
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
    XR_ASSIGN_OR_RETURN(auth::User u, check_basic(authorization, svc));
    return std::optional<auth::User>(std::move(u));
  }
  return std::optional<auth::User>();
}

}  // namespace xr::app

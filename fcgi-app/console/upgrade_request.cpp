#include "console/upgrade_request.h"

#include <sodium.h>

#include <cctype>

namespace xr::app {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool list_has(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (lower(trim(value.substr(0, comma))) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// "host:port" with the scheme's default port made explicit, lower-cased.
std::string authority(std::string_view scheme, std::string_view host_port) {
  std::string a = lower(host_port);
  const size_t bracket = a.rfind(']');
  const size_t colon = a.rfind(':');
  const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) a += scheme == "https" ? ":443" : ":80";
  return a;
}

}  // namespace

std::string UpgradeRequest::header(std::string_view lower_name) const {
  std::string v;
  for (const auto& [k, value] : headers) {
    if (k != lower_name) continue;
    if (!v.empty()) v += ", ";
    v += value;
  }
  return v;
}

bool UpgradeRequest::has(std::string_view lower_name) const {
  for (const auto& kv : headers) {
    if (kv.first == lower_name) return true;
  }
  return false;
}

Result<UpgradeRequest> parse_upgrade_head(std::string_view head) {
  UpgradeRequest r;
  size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1) != "HTTP/1.1") {
    return Status(ErrorKind::kInvalidArgument, "not an HTTP/1.1 request");
  }
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    const std::string_view h = head.substr(0, eol);
    if (h.empty()) continue;
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return Status(ErrorKind::kInvalidArgument, "malformed header line");
    r.headers.emplace_back(lower(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }
  return r;
}

Result<std::string> console_vm_id(const UpgradeRequest& req) {
  std::string_view path = req.target;
  path = path.substr(0, path.find('?'));
  constexpr std::string_view kPrefix = "/api/consoles/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return Status(ErrorKind::kNotFound, "Cannot GET " + std::string(path));
  const std::string_view id = path.substr(kPrefix.size());
  if (id.empty() || id.find('/') != std::string_view::npos) {
    return Status(ErrorKind::kNotFound, "Cannot GET " + std::string(path));
  }
  if (!is_uuid(id)) return Status(ErrorKind::kInvalidArgument, "invalid VM id (expected a uuid)");
  return lower(id);
}

Status check_websocket_headers(const UpgradeRequest& req) {
  if (req.method != "GET") return Status(ErrorKind::kInvalidArgument, "a console is opened with GET");
  if (!list_has(req.header("upgrade"), "websocket") || !list_has(req.header("connection"), "upgrade")) {
    return Status(ErrorKind::kInvalidArgument, "a console is a WebSocket: Upgrade: websocket expected");
  }
  if (trim(req.header("sec-websocket-version")) != "13") {
    return Status(ErrorKind::kInvalidArgument, "Sec-WebSocket-Version 13 expected");
  }
  const std::string key = req.header("sec-websocket-key");
  unsigned char raw[32];
  size_t len = 0;
  if (key.size() != 24 || sodium_base642bin(raw, sizeof raw, key.data(), key.size(), nullptr, &len, nullptr,
                                            sodium_base64_VARIANT_ORIGINAL) != 0 || len != 16) {
    return Status(ErrorKind::kInvalidArgument, "Sec-WebSocket-Key must be 16 bytes in base64");
  }
  return Status::ok();
}

Status check_same_origin(const UpgradeRequest& req) {
  if (!req.has("origin")) return Status::ok();
  const std::string origin = req.header("origin");
  const size_t sep = origin.find("://");
  const std::string scheme = sep == std::string::npos ? "" : lower(origin.substr(0, sep));
  std::string proto = lower(trim(req.header("x-forwarded-proto")));
  if (proto.empty()) proto = "http";
  const std::string host = req.header("host");
  const bool ok = !host.empty() && (scheme == "http" || scheme == "https") && scheme == proto &&
                  origin.find('/', sep + 3) == std::string::npos &&
                  authority(scheme, origin.substr(sep + 3)) == authority(proto, host);
  if (!ok) return Status(ErrorKind::kForbidden, "cross-site console request refused (Origin is not this site)");
  return Status::ok();
}

std::string pick_subprotocol(const UpgradeRequest& req) {
  return list_has(req.header("sec-websocket-protocol"), "binary") ? "binary" : "";
}

std::vector<std::string> request_env(const UpgradeRequest& req) {
  std::vector<std::string> env = {"REQUEST_METHOD=" + req.method, "REQUEST_URI=" + req.target};
  const size_t q = req.target.find('?');
  env.push_back("QUERY_STRING=" + (q == std::string::npos ? std::string() : req.target.substr(q + 1)));
  if (req.has("cookie")) env.push_back("HTTP_COOKIE=" + req.header("cookie"));
  if (req.has("authorization")) env.push_back("HTTP_AUTHORIZATION=" + req.header("authorization"));
  env.push_back("REMOTE_ADDR=" + req.header("x-real-ip"));
  return env;
}

}  // namespace xr::app

#include "worker/request.h"

#include <sodium.h>

#include <cstring>

namespace xr::app {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string url_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string url_encode(std::string_view in, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' ||
                       (u > 0x20 && u < 0x7f && keep.find(c) != std::string_view::npos);
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string key = url_decode(part.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1), true);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  for (const std::string& part : split_raw_path(path)) {
    if (!part.empty()) out.push_back(url_decode(part, false));
  }
  return out;
}

std::vector<std::string> split_raw_path(std::string_view path) {
  std::vector<std::string> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;  // a trailing slash adds nothing (Express's non-strict routing)
}

Result<std::string> basic_credentials(std::string_view header) {
  size_t space = header.find(' ');
  if (space == std::string_view::npos) {
    return Status(ErrorKind::kInvalidArgument, "Malformed Authorization header");
  }
  std::string_view encoded = header.substr(space + 1);
  std::string decoded(encoded.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), encoded.data(),
                        encoded.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  decoded.resize(len);
  if (decoded.find(':') == std::string::npos) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  return decoded;
}

Request::Request(FCGX_Request* fcgi) : fcgi_(fcgi) { parse(); }

Request::Request(std::vector<std::string> env, std::string body)
    : env_(std::move(env)), body_(std::move(body)) {
  for (std::string& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
  parse();
}

void Request::parse() {
  method_ = std::string(param("REQUEST_METHOD"));
  std::string_view uri = param("REQUEST_URI");
  size_t q = uri.find('?');
  raw_path_ = std::string(uri.substr(0, q));
  raw_segments_ = split_raw_path(raw_path_);
  segments_ = split_path(raw_path_);
  query_ = parse_query(param("QUERY_STRING"));
}

std::string_view Request::param(const char* name) const {
  const char* v = FCGX_GetParam(name, fcgi_ != nullptr ? fcgi_->envp : const_cast<char**>(envp_.data()));
  return v == nullptr ? std::string_view() : std::string_view(v);
}

std::optional<std::string_view> Request::query_value(std::string_view key) const {
  for (const auto& [k, v] : query_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

int Request::query_count(std::string_view key) const {
  int n = 0;
  for (const auto& kv : query_) n += kv.first == key;
  return n;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  std::string_view header = param("HTTP_COOKIE");
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || part.substr(0, eq) != name) continue;
    std::string_view value = part.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return url_decode(value, false);
  }
  return std::nullopt;
}

Result<std::string_view> Request::buffer_body(size_t max_bytes) {
  if (!buffered_) {
    XR_ASSIGN_OR_RETURN(body_, read_body(max_bytes));
    buffered_ = true;
  }
  if (body_.size() > max_bytes) return Status(ErrorKind::kResourceExhausted, "request body too large");
  return std::string_view(body_);
}

Result<std::string> Request::read_body(size_t max_bytes) {
  if (buffered_) {
    if (body_.size() > max_bytes) return Status(ErrorKind::kResourceExhausted, "request body too large");
    return body_;
  }
  if (fcgi_ == nullptr) {
    if (body_.size() > max_bytes) return Status(ErrorKind::kResourceExhausted, "request body too large");
    return std::move(body_);
  }
  std::string body;
  char buf[16384];
  for (;;) {
    int n = FCGX_GetStr(buf, sizeof buf, fcgi_->in);
    if (n <= 0) break;
    if (body.size() + static_cast<size_t>(n) > max_bytes) {
      return Status(ErrorKind::kResourceExhausted, "request body too large");
    }
    body.append(buf, static_cast<size_t>(n));
  }
  return body;
}

}  // namespace xr::app

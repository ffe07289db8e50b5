// libFuzzer target for the HTTP request parsing of the workers (issue 17): the input's lines
// are a request target (path and query), a Cookie header, an Authorization header and one
// more header "Name: value". Parses them as a worker does (worker/request.h), decodes the
// credentials as Basic, and answers through worker/response.h with the header added.
// Besides crashes and sanitizer reports, these are bugs (trap):
//  - url_encode() lets a byte through that is not a letter, digit, "-._~" or kept;
//  - url_decode(url_encode(x)) is not x;
//  - a header block line holds CR or LF, or the added header got in with a control byte;
//  - to_valid_utf8() answers invalid UTF-8; a cookie value or a Basic user holds what
//    splits it (';' is never inside a cookie's part, ':' never in the user name).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "worker/request.h"
#include "worker/response.h"

namespace {

std::vector<std::string_view> lines(std::string_view in, std::size_t n) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < n) {
    const std::size_t nl = in.find('\n');
    if (nl == std::string_view::npos) break;
    out.push_back(in.substr(0, nl));
    in.remove_prefix(nl + 1);
  }
  out.push_back(in);
  out.resize(n);
  return out;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool plain_url_byte(unsigned char c, std::string_view keep) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '%' || (c > 0x20 && c < 0x7f && keep.find(static_cast<char>(c)) != keep.npos);
}

void check_url_coding(std::string_view s) {
  for (std::string_view keep : {std::string_view(), std::string_view("/:@!$&'()*+,;=?")}) {
    const std::string encoded = xr::app::url_encode(s, keep);
    for (char c : encoded) check(plain_url_byte(static_cast<unsigned char>(c), keep));
    if (keep.empty()) check(xr::app::url_decode(encoded, false) == s);
  }
}

void check_head(const std::string& sink, std::string_view name, std::string_view value, bool accepted) {
  const std::size_t end = sink.find("\r\n\r\n");
  check(end != std::string::npos);
  std::string_view head(sink.data(), end);
  bool seen = false;
  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    check(line.find('\r') == line.npos && line.find('\n') == line.npos);
    check(line.find(':') != line.npos);
    if (line.size() == name.size() + 2 + value.size() && line.substr(0, name.size()) == name) seen = true;
    head = eol == head.npos ? std::string_view() : head.substr(eol + 2);
  }
  if (accepted) check(seen);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto field = lines(input, 4);
  const std::string_view target = field[0], cookie = field[1], authorization = field[2], extra = field[3];
  // libfcgi's parameters are NUL-terminated strings: what nginx could send.
  for (std::string_view f : field) {
    if (f.find('\0') != f.npos) return 0;
  }
  const std::size_t q = target.find('?');
  std::vector<std::string> env = {"REQUEST_METHOD=GET", "REQUEST_URI=" + std::string(target),
                                  "QUERY_STRING=" + std::string(q == target.npos ? "" : target.substr(q + 1)),
                                  "HTTP_COOKIE=" + std::string(cookie),
                                  "HTTP_AUTHORIZATION=" + std::string(authorization)};
  xr::app::Request req(std::move(env), "");
  check(req.raw_segments().size() >= req.segments().size());
  for (const std::string& s : req.segments()) {
    check(!s.empty());
    check_url_coding(s);
    check(xr::is_valid_utf8(xr::to_valid_utf8(s)));
  }
  for (const auto& [k, v] : req.query()) {
    check(req.query_count(k) >= 1);
    check(req.query_value(k).has_value());
    (void)v;
  }
  for (std::string_view name : {"authenticationToken", "", "a"}) {
    (void)req.cookie(name);
  }
  if (auto token = req.cookie("authenticationToken")) check_url_coding(*token);
  auto basic = xr::app::basic_credentials(req.param("HTTP_AUTHORIZATION"));
  if (basic.is_ok()) check(basic->find(':') != std::string::npos);

  // The extra header through the response writer: never a split header block.
  const std::size_t colon = extra.find(':');
  const std::string_view name = extra.substr(0, colon);
  const std::string_view value = colon == extra.npos ? std::string_view() : extra.substr(colon + 1);
  std::string sink;
  xr::app::Response res(&sink, false);
  const bool accepted = res.add_header(name, value);
  check(accepted == xr::app::header_field_ok(name, value));
  res.add_header("Location", "/rest/v0/" + xr::app::url_encode(target, "/?&="));
  res.send(200, "application/json; charset=utf-8", "{}");
  check_head(sink, name, value, accepted);
  return 0;
}

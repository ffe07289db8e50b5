#include "xapi/wire_text.h"

#include <charconv>
#include <cstdlib>

namespace xr::xapi {
namespace {
Status bad(const char* what, std::string_view s) {
  return Status(ErrorKind::kProtocol,
                std::string("bad ") + what + " \"" + std::string(s.substr(0, 40)) + "\"");
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Result<int64_t> parse_int_text(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size())
    return bad("int", s);
  return out;
}

Result<bool> parse_bool_text(std::string_view s) {
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return bad("boolean", s);
}

Result<double> parse_double_text(std::string_view s) {
  if (s.empty() || s.size() > 64) return bad("double", s);
  std::string copy(s);
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return bad("double", s);
  return d;
}

Result<std::string> base64_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (is_space(c))
      continue;
    else
      return bad("base64", s);
    if (padding) return bad("base64", s);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace xr::xapi

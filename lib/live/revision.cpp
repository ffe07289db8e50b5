#include "live/revision.h"

#include <charconv>
#include <cstdio>

namespace xr::live {

std::string format_revision(Revision r) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08x-%llu", r.instance, static_cast<unsigned long long>(r.seq));
  return buf;
}

std::optional<Revision> parse_revision(std::string_view text) {
  if (text.size() < 10 || text.size() > 29 || text[8] != '-') return std::nullopt;
  Revision r;
  for (size_t i = 0; i < 8; ++i) {
    const char c = text[i];
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return std::nullopt;
  }
  auto [p1, e1] = std::from_chars(text.data(), text.data() + 8, r.instance, 16);
  if (e1 != std::errc() || p1 != text.data() + 8) return std::nullopt;
  const char* begin = text.data() + 9;
  const char* end = text.data() + text.size();
  if (begin == end || *begin < '0' || *begin > '9') return std::nullopt;
  auto [p2, e2] = std::from_chars(begin, end, r.seq, 10);
  if (e2 != std::errc() || p2 != end) return std::nullopt;
  return r;
}

}  // namespace xr::live

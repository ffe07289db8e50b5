#include "filter/evaluator.h"

namespace xr::filter {

bool glob_pieces_match(std::string_view text, const std::vector<std::string>& pieces) {
  std::size_t pos = 0;
  for (const std::string& piece : pieces) {
    std::size_t at = find_ascii_ignore_case(text, piece, pos);
    if (at == std::string_view::npos) return false;
    pos = at + piece.size();
  }
  return true;
}

std::optional<std::uint64_t> canonical_index(std::string_view key) {
  if (key.empty() || key.size() > 16 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<std::string> string_unit(std::string_view s, std::uint32_t index) {
  if (is_ascii(s)) {
    if (index >= s.size()) return std::nullopt;
    return std::string(1, s[index]);
  }
  return utf16_unit_at(s, index);
}

}  // namespace xr::filter

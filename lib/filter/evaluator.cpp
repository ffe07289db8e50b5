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

std::optional<std::string> string_unit(std::string_view s, std::uint32_t index) {
  if (is_ascii(s)) {
    if (index >= s.size()) return std::nullopt;
    return std::string(1, s[index]);
  }
  return utf16_unit_at(s, index);
}

}  // namespace xr::filter

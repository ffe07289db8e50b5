#include "filter/js_text.h"

#include "base/utf8.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "filter/unicode_tables.h"

namespace xr::filter {
namespace {

using tables::CodeRange;

bool in_ranges(const CodeRange* r, std::size_t n, std::uint32_t c) {
  const CodeRange* end = r + n;
  const CodeRange* it = std::upper_bound(r, end, c, [](std::uint32_t v, const CodeRange& x) { return v < x.first; });
  return it != r && (it - 1)->last >= c;
}

// Decodes one code point at s[*i]; invalid bytes give U+FFFD, encoded surrogates are kept.
std::uint32_t decode(std::string_view s, std::size_t* i) {
  auto b = static_cast<unsigned char>(s[*i]);
  if (b < 0x80) { ++*i; return b; }
  int len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
  if (len == 0 || b > 0xF4 || *i + len > s.size()) { ++*i; return 0xFFFD; }
  std::uint32_t cp = b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) { ++*i; return 0xFFFD; }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF) { ++*i; return 0xFFFD; }
  *i += len;
  return cp;
}


constexpr std::array<unsigned char, 256> make_ascii_lower() {
  std::array<unsigned char, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = static_cast<unsigned char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}
constexpr auto kAsciiLower = make_ascii_lower();

bool is_cased(std::uint32_t c) { return in_ranges(tables::kCased, tables::kCased_size, c); }
bool is_case_ignorable(std::uint32_t c) {
  return in_ranges(tables::kCaseIgnorable, tables::kCaseIgnorable_size, c);
}

// Unicode Final_Sigma: preceded by a cased letter and not followed by one (case-ignorables skipped).
bool is_final_sigma(const std::u32string& cps, std::size_t at) {
  bool before = false;
  for (std::size_t k = at; k-- > 0;) {
    if (is_case_ignorable(cps[k])) continue;
    before = is_cased(cps[k]);
    break;
  }
  if (!before) return false;
  for (std::size_t k = at + 1; k < cps.size(); ++k) {
    if (is_case_ignorable(cps[k])) continue;
    return !is_cased(cps[k]);
  }
  return true;
}

std::optional<double> parse_radix(std::string_view digits, int bits_per_digit) {
  if (digits.empty()) return std::nullopt;
  std::string bitstr;
  for (char c : digits) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    if (v >= (1 << bits_per_digit)) return std::nullopt;
    for (int b = bits_per_digit - 1; b >= 0; --b) bitstr.push_back((v >> b) & 1 ? '1' : '0');
  }
  // Regroup the bits as hexadecimal so strtod rounds exactly like JavaScript.
  while (bitstr.size() % 4) bitstr.insert(bitstr.begin(), '0');
  std::string hex = "0x";
  for (std::size_t i = 0; i < bitstr.size(); i += 4) {
    int v = (bitstr[i] - '0') * 8 + (bitstr[i + 1] - '0') * 4 + (bitstr[i + 2] - '0') * 2 + (bitstr[i + 3] - '0');
    hex.push_back("0123456789abcdef"[v]);
  }
  return std::strtod(hex.c_str(), nullptr);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<double> parse_decimal(std::string_view t) {
  std::size_t i = 0;
  bool neg = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
  std::string_view rest = t.substr(i);
  if (rest == "Infinity") return neg ? -HUGE_VAL : HUGE_VAL;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && is_digit(t[i])) ++i, ++int_digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_digit(t[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < t.size() && is_digit(t[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  return std::strtod(std::string(t).c_str(), nullptr);
}

}  // namespace

std::u16string utf8_to_utf16(std::string_view s) {
  std::u16string out;
  utf8_to_utf16(s, &out);
  return out;
}

void utf8_to_utf16(std::string_view s, std::u16string* out) {
  out->clear();
  out->reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = decode(s, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out->push_back(static_cast<char16_t>(cp));
    }
  }
}

std::string utf16_to_utf8(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    }
    append_utf8(c, &out);
  }
  return out;
}

bool is_ascii(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ULL) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) & 0x80) return false;
  }
  return true;
}

bool is_raw_char(char16_t c) {
  if ((c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '$') return true;
  return in_ranges(tables::kCasedUnits, tables::kCasedUnits_size, c);
}

bool is_js_space(char16_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string js_to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  if (is_ascii(s)) {
    for (char c : s) out.push_back(static_cast<char>(kAsciiLower[static_cast<unsigned char>(c)]));
    return out;
  }
  std::u32string cps;
  for (std::size_t i = 0; i < s.size();) cps.push_back(decode(s, &i));
  const auto* begin = tables::kLower;
  const auto* end = tables::kLower + tables::kLower_size;
  for (std::size_t k = 0; k < cps.size(); ++k) {
    std::uint32_t c = cps[k];
    if (c == 0x3A3) {
      append_utf8(is_final_sigma(cps, k) ? 0x3C2 : 0x3C3, &out);
      continue;
    }
    const auto* it = std::lower_bound(begin, end, c, [](const tables::LowerMapping& m, std::uint32_t v) { return m.from < v; });
    if (it == end || it->from != c) {
      append_utf8(c, &out);
      continue;
    }
    for (std::uint32_t t : it->to) {
      if (t == 0) break;
      append_utf8(t, &out);
    }
  }
  return out;
}

std::size_t find_ascii_ignore_case(std::string_view haystack, std::string_view lower_needle, std::size_t from) {
  const std::size_t n = haystack.size(), m = lower_needle.size();
  if (m == 0) return from <= n ? from : std::string_view::npos;
  if (m > n) return std::string_view::npos;
  const auto* h = reinterpret_cast<const unsigned char*>(haystack.data());
  const auto* p = reinterpret_cast<const unsigned char*>(lower_needle.data());
  const unsigned char first = p[0];
  for (std::size_t i = from; i + m <= n; ++i) {
    if (kAsciiLower[h[i]] != first) continue;
    std::size_t k = 1;
    while (k < m && kAsciiLower[h[i + k]] == p[k]) ++k;
    if (k == m) return i;
  }
  return std::string_view::npos;
}

bool contains_ignore_case(std::string_view haystack, std::string_view lower_needle) {
  return contains_ignore_case(haystack, lower_needle, is_ascii(lower_needle));
}

bool contains_ignore_case(std::string_view haystack, std::string_view lower_needle, bool needle_is_ascii) {
  if (lower_needle.empty()) return true;
  if (!needle_is_ascii) {
    return !is_ascii(haystack) && js_to_lower(haystack).find(lower_needle) != std::string::npos;
  }
  // One pass over the bytes: an ASCII match is a match whatever else the string holds
  // (ASCII characters lower-case to themselves); without one, only non-ASCII text (which
  // may lower-case to ASCII, like U+212A KELVIN SIGN) needs the full JavaScript toLowerCase.
  // Eight bytes at a time: flag words holding the needle's first letter in either case.
  const std::size_t n = haystack.size(), m = lower_needle.size();
  const auto* h = reinterpret_cast<const unsigned char*>(haystack.data());
  const auto* p = reinterpret_cast<const unsigned char*>(lower_needle.data());
  const unsigned char first = p[0];
  const unsigned char first_upper = first >= 'a' && first <= 'z' ? static_cast<unsigned char>(first - 32) : first;
  auto match_at = [&](std::size_t i) {
    if ((h[i] != first && h[i] != first_upper) || i + m > n) return false;
    std::size_t k = 1;
    while (k < m && kAsciiLower[h[i + k]] == p[k]) ++k;
    return k == m;
  };
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t lower_word = first * kOnes, upper_word = first_upper * kOnes;
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, h + i, 8);
    seen |= w;
    const std::uint64_t a = w ^ lower_word, b = w ^ upper_word;
    if (((((a - kOnes) & ~a) | ((b - kOnes) & ~b)) & kHigh) == 0) continue;  // no zero byte in a or b
    for (std::size_t j = i; j < i + 8; ++j) {
      if (match_at(j)) return true;
    }
  }
  for (; i < n; ++i) {
    seen |= h[i];
    if (match_at(i)) return true;
  }
  if (!(seen & kHigh)) return false;
  return js_to_lower(haystack).find(lower_needle) != std::string::npos;
}

std::optional<double> js_string_to_number(std::string_view text) {
  // Trim JavaScript whitespace (which includes non-ASCII spaces) on both ends.
  std::size_t b = 0, e = text.size();
  auto space_at = [&](std::size_t at, std::size_t* len) {
    std::size_t i = at;
    std::uint32_t cp = decode(text, &i);
    *len = i - at;
    return cp < 0x10000 && is_js_space(static_cast<char16_t>(cp));
  };
  std::size_t len = 0;
  while (b < e && space_at(b, &len)) b += len;
  while (e > b) {
    std::size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    if (!space_at(start, &len) || start + len != e) break;
    e = start;
  }
  std::string_view t = text.substr(b, e - b);
  if (t.empty()) return 0.0;
  if (t.size() > 2 && t[0] == '0') {
    char x = t[1];
    if (x == 'x' || x == 'X') return parse_radix(t.substr(2), 4);
    if (x == 'o' || x == 'O') return parse_radix(t.substr(2), 3);
    if (x == 'b' || x == 'B') return parse_radix(t.substr(2), 1);
  }
  return parse_decimal(t);
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) n += decode(s, &i) >= 0x10000 ? 2 : 1;
  return n;
}

std::optional<std::string> utf16_unit_at(std::string_view s, std::size_t index) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = decode(s, &i);
    std::string out;
    if (cp >= 0x10000) {
      if (index == n || index == n + 1) {
        cp -= 0x10000;
        append_utf8(index == n ? 0xD800 + (cp >> 10) : 0xDC00 + (cp & 0x3FF), &out);
        return out;
      }
      n += 2;
    } else {
      if (index == n) {
        append_utf8(cp, &out);
        return out;
      }
      ++n;
    }
  }
  return std::nullopt;
}

}  // namespace xr::filter

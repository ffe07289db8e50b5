// JavaScript string semantics the filter needs, on UTF-8 text: toLowerCase, case-insensitive
// substring search, Number() conversion, whitespace and raw-string characters, UTF-16 indexes.
// Pure functions; any thread; never blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xr::filter {

// UTF-8 (lenient: invalid bytes become U+FFFD; encoded surrogates stay code units) <-> UTF-16.
std::u16string utf8_to_utf16(std::string_view s);
void utf8_to_utf16(std::string_view s, std::u16string* out);
std::string utf16_to_utf8(std::u16string_view s);  // lone surrogates kept as 3-byte units

bool is_ascii(std::string_view s);
// complex-matcher's raw-string character test on one UTF-16 code unit.
bool is_raw_char(char16_t c);
// JavaScript \s (WhiteSpace and LineTerminator) on one UTF-16 code unit.
bool is_js_space(char16_t c);

// String.prototype.toLowerCase (full mappings and Final_Sigma) on UTF-8 text.
std::string js_to_lower(std::string_view s);
// lower(haystack).includes(lower_needle), where lower_needle is already js_to_lower'ed.
bool contains_ignore_case(std::string_view haystack, std::string_view lower_needle);
bool contains_ignore_case(std::string_view haystack, std::string_view lower_needle, bool needle_is_ascii);

// JavaScript Number(text): nullopt for NaN. Accepts what StringToNumber accepts
// (surrounding whitespace, "", decimal with sign, Infinity, 0x/0o/0b integers).
std::optional<double> js_string_to_number(std::string_view text);

// Length in UTF-16 code units, and the code unit at index i as UTF-8 (nullopt when out of range).
std::size_t utf16_length(std::string_view s);
std::optional<std::string> utf16_unit_at(std::string_view s, std::size_t i);

}  // namespace xr::filter

namespace xr::filter {
// Position of lower_needle (lower-case ASCII) in ASCII haystack from `from`, ignoring case.
std::size_t find_ascii_ignore_case(std::string_view haystack, std::string_view lower_needle, std::size_t from);
}  // namespace xr::filter

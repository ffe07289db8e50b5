// Sets of UTF-16 code units and their PCRE2 spelling, for the JavaScript regex translator:
// JavaScript's \d \w \s, RegExp case folding (Canonicalize) and explicit class emission.
// Pure functions over constant tables; any thread.
#pragma once

#include <bitset>
#include <cstddef>
#include <string>
#include <vector>

namespace xr::filter {

using CharSet = std::bitset<65536>;

// Adds every unit that JavaScript's `i` flag (non-unicode mode) treats as equal to a member.
void close_under_case(CharSet* set);
// The units equal to c under `i` (c included).
std::vector<char16_t> case_variants(char16_t c);
void add_range(CharSet* set, unsigned first, unsigned last);
// \d \D \w \W \s \S as JavaScript defines them (ASCII digits and word characters).
bool is_class_escape(char16_t c);
CharSet class_escape_set(char16_t escape);

// PCRE2 spelling: alphanumerics as is, everything else as \x{hh}.
void append_unit(char16_t c, std::u16string* out);
void append_ascii(const char* s, std::u16string* out);
// Matches nothing, but is one unit wide like JavaScript's [] (lookbehinds need fixed widths;
// a quantifier after it still applies to the whole).
inline constexpr const char* kNothing = "(?:(?!)\\x{0})";
// A class of the units of `set` up to max_unit, or kNothing when none.
void emit_set(CharSet set, std::size_t max_unit, std::u16string* out);

}  // namespace xr::filter

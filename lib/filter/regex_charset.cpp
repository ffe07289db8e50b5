// Sets of UTF-16 code units for the regex translator, and JavaScript's case folding of them.
#include "filter/regex_charset.h"

#include <cstdio>
#include <unordered_map>

#include "filter/unicode_tables.h"

namespace xr::filter {
namespace {

// JavaScript's Canonicalize for every code unit, and the members of each case class.
struct CaseClasses {
  std::vector<char16_t> canon;
  std::unordered_map<char16_t, std::vector<char16_t>> members;
  CaseClasses() : canon(65536) {
    for (std::size_t c = 0; c < 65536; ++c) canon[c] = static_cast<char16_t>(c);
    for (std::size_t k = 0; k < tables::kCanon_size; ++k) canon[tables::kCanon[k].from] = tables::kCanon[k].to;
    for (std::size_t c = 0; c < 65536; ++c) members[canon[c]].push_back(static_cast<char16_t>(c));
    for (auto it = members.begin(); it != members.end();) {
      it = it->second.size() < 2 ? members.erase(it) : std::next(it);
    }
  }
};

const CaseClasses& case_classes() {
  static const CaseClasses kClasses;
  return kClasses;
}

}  // namespace

std::vector<char16_t> case_variants(char16_t c) {
  const auto& cc = case_classes();
  auto it = cc.members.find(cc.canon[c]);
  return it == cc.members.end() ? std::vector<char16_t>{c} : it->second;
}

void close_under_case(CharSet* set) {
  // Only units in a case class of two or more can add anything.
  for (const auto& [canon, units] : case_classes().members) {
    bool any = false;
    for (char16_t u : units) any = any || (*set)[u];
    if (!any) continue;
    for (char16_t u : units) set->set(u);
  }
}

void append_unit(char16_t c, std::u16string* out) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    out->push_back(c);
    return;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", static_cast<unsigned>(c));
  for (const char* p = buf; *p; ++p) out->push_back(static_cast<char16_t>(*p));
}

void append_ascii(const char* s, std::u16string* out) {
  for (; *s; ++s) out->push_back(static_cast<char16_t>(*s));
}

// Emits the units of `set` up to `max_unit` (0x7F for the ASCII-subject variant).
void emit_set(CharSet set, std::size_t max_unit, std::u16string* out) {
  if (max_unit < 0xFFFF) {
    CharSet low;
    add_range(&low, 0, static_cast<unsigned>(max_unit));
    set &= low;
  }
  if (set.none()) return append_ascii(kNothing, out);
  out->push_back('[');
  for (std::size_t c = set._Find_first(); c <= max_unit && c < 65536;) {
    std::size_t e = c;
    while (e + 1 <= max_unit && set[e + 1]) ++e;
    append_unit(static_cast<char16_t>(c), out);
    if (e > c) {
      out->push_back('-');
      append_unit(static_cast<char16_t>(e), out);
    }
    c = set._Find_next(e);
  }
  out->push_back(']');
}

void add_range(CharSet* s, unsigned a, unsigned b) {
  for (unsigned c = a; c <= b; ++c) s->set(c);
}
CharSet class_escape_set(char16_t e) {
  CharSet s;
  char16_t lower = static_cast<char16_t>(e | 0x20);
  if (lower == 'd') {
    add_range(&s, '0', '9');
  } else if (lower == 'w') {
    add_range(&s, '0', '9'), add_range(&s, 'A', 'Z'), add_range(&s, 'a', 'z'), s.set('_');
  } else {
    for (unsigned c : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0xA0u, 0x1680u, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu,
                       0x3000u, 0xFEFFu}) {
      s.set(c);
    }
    add_range(&s, 0x2000, 0x200A);
  }
  if (e == 'D' || e == 'W' || e == 'S') s.flip();
  return s;
}
bool is_class_escape(char16_t c) {
  return c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 's' || c == 'S';
}

}  // namespace xr::filter

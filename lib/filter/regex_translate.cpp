// JavaScript (non-unicode, Annex B) pattern -> PCRE2 16-bit pattern without any option
// depending on PCRE2's own case or character tables: every set is emitted as explicit code
// unit ranges and `i` is applied here with JavaScript's Canonicalize, so PCRE2 and V8 agree.
#include <algorithm>
#include <string>
#include <vector>

#include "filter/js_regex.h"
#include "filter/regex_charset.h"
#include "filter/js_text.h"

namespace xr::filter {
namespace {

constexpr int kMaxRegexDepth = 64;
constexpr unsigned kMaxRepeat = 65535;

bool is_octal(char16_t c) { return c >= '0' && c <= '7'; }
bool is_decimal(char16_t c) { return c >= '0' && c <= '9'; }
int hex_value(char16_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Translator {
 public:
  Translator(std::u16string_view p, bool icase, std::size_t max_unit) : p_(p), icase_(icase), max_unit_(max_unit) {}

  Result<std::u16string> run() {
    XR_RETURN_IF_ERROR(prescan());
    XR_RETURN_IF_ERROR(disjunction(0));
    if (i_ < p_.size()) return fail("Unmatched ')'");
    return out_;
  }

 private:
  Status fail(const std::string& what) const {
    return Status(ErrorKind::kInvalidArgument,
                  "Invalid regular expression: /" + utf16_to_utf8(p_) + "/: " + what);
  }
  Status unsupported(const std::string& what) const {
    return Status(ErrorKind::kInvalidArgument, "Unsupported regular expression: /" + utf16_to_utf8(p_) +
                                                   "/: " + what + " is not supported in filters");
  }
  bool at(char16_t c) const { return i_ < p_.size() && p_[i_] == c; }
  bool at(std::size_t k, char16_t c) const { return k < p_.size() && p_[k] == c; }

  // Counts capturing groups (decides what \N means) and checks the names of named groups.
  Status prescan() {
    bool in_class = false;
    std::vector<std::u16string> names;
    for (std::size_t k = 0; k < p_.size(); ++k) {
      char16_t c = p_[k];
      if (c == '\\') { ++k; continue; }
      if (in_class) { in_class = c != ']'; continue; }
      if (c == '[') in_class = true;
      if (c != '(') continue;
      if (!at(k + 1, '?')) {
        ++groups_;
      } else if (at(k + 2, '<') && !at(k + 3, '=') && !at(k + 3, '!')) {
        std::size_t end = k + 3;
        while (end < p_.size() && p_[end] != '>') ++end;
        std::u16string name(p_.substr(k + 3, end - (k + 3)));
        XR_RETURN_IF_ERROR(check_group_name(name, end < p_.size()));
        if (std::find(names.begin(), names.end(), name) != names.end()) return fail("Duplicate capture group name");
        names.push_back(name);
        ++groups_;
      }
    }
    named_groups_ = !names.empty();
    return Status::ok();
  }

  Status check_group_name(const std::u16string& name, bool closed) const {
    auto ascii_id = [](char16_t c, bool first) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || (!first && c >= '0' && c <= '9');
    };
    for (char16_t c : name) {
      if (c >= 0x80 || c == '\\') return unsupported("a group name with escapes or non-ASCII characters");
    }
    bool valid = closed && !name.empty();
    for (std::size_t i = 0; valid && i < name.size(); ++i) valid = ascii_id(name[i], i == 0);
    return valid ? Status::ok() : fail("Invalid capture group name");
  }

  Status disjunction(int depth) {
    if (depth > kMaxRegexDepth) return unsupported("nesting deeper than 64 groups");
    XR_RETURN_IF_ERROR(alternative(depth));
    while (at('|')) {
      ++i_;
      out_.push_back('|');
      XR_RETURN_IF_ERROR(alternative(depth));
    }
    return Status::ok();
  }

  Status alternative(int depth) {
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') XR_RETURN_IF_ERROR(term(depth));
    return Status::ok();
  }

  // Reads {n}, {n,}, {n,m} at i_ without consuming; false when not a braced quantifier.
  bool braced(std::size_t* end, unsigned long* lo, unsigned long* hi, bool* bounded) const {
    std::size_t k = i_;
    if (!at(k, '{')) return false;
    ++k;
    auto number = [&](unsigned long* v) {
      std::size_t s = k;
      *v = 0;
      while (k < p_.size() && is_decimal(p_[k])) {
        *v = std::min<unsigned long>(*v * 10 + (p_[k] - '0'), 1UL << 40);
        ++k;
      }
      return k > s;
    };
    if (!number(lo)) return false;
    *hi = *lo;
    *bounded = true;
    if (at(k, ',')) {
      ++k;
      *bounded = number(hi);
    }
    if (!at(k, '}')) return false;
    *end = k + 1;
    return true;
  }

  bool at_quantifier() const {
    std::size_t e;
    unsigned long lo, hi;
    bool b;
    return at('*') || at('+') || at('?') || braced(&e, &lo, &hi, &b);
  }

  Status quantifier() {
    std::size_t e;
    unsigned long lo, hi;
    bool bounded;
    if (at('*') || at('+') || at('?')) {
      out_.push_back(p_[i_++]);
    } else if (braced(&e, &lo, &hi, &bounded)) {
      if (bounded && hi < lo) return fail("numbers out of order in {} quantifier");
      if (lo > kMaxRepeat || (bounded && hi > kMaxRepeat)) return unsupported("a repeat count above 65535");
      std::string q = "{" + std::to_string(lo) + (bounded ? (hi == lo ? "" : "," + std::to_string(hi)) : ",") + "}";
      append_ascii(q.c_str(), &out_);
      i_ = e;
    } else {
      return Status::ok();
    }
    if (at('?')) out_.push_back(p_[i_++]);
    if (at_quantifier()) return fail("Nothing to repeat");
    return Status::ok();
  }

  void emit_char(char16_t c) {
    std::vector<char16_t> units = icase_ ? case_variants(c) : std::vector<char16_t>{c};
    std::erase_if(units, [&](char16_t u) { return u > max_unit_; });
    if (units.empty()) return append_ascii(kNothing, &out_);
    if (units.size() == 1) return append_unit(units[0], &out_);
    out_.push_back('[');
    for (char16_t u : units) append_unit(u, &out_);
    out_.push_back(']');
  }

  void emit_class(CharSet set, bool negate) {
    if (icase_) close_under_case(&set);
    if (negate) set.flip();
    emit_set(set, max_unit_, &out_);
  }

  Status term(int depth) {
    char16_t c = p_[i_];
    if (c == '^' || c == '$') {
      ++i_;
      append_ascii(c == '^' ? "\\A" : "\\z", &out_);
      return at_quantifier() ? fail("Nothing to repeat") : Status::ok();
    }
    if (c == '\\' && (at(i_ + 1, 'b') || at(i_ + 1, 'B'))) {
      append_ascii(at(i_ + 1, 'b') ? "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))"
                                  : "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))",
                   &out_);
      i_ += 2;
      return at_quantifier() ? fail("Nothing to repeat") : Status::ok();
    }
    if (c == '(') return group(depth);
    if (c == '*' || c == '+' || c == '?') return fail("Nothing to repeat");
    if (c == '{' && at_quantifier()) return fail("Nothing to repeat");
    XR_RETURN_IF_ERROR(atom());
    return quantifier();
  }

  Status group(int depth) {
    ++i_;
    bool lookaround = false, lookbehind = false;
    if (at('?')) {
      std::u16string_view rest = p_.substr(i_);
      const char* open = nullptr;
      std::size_t skip = 0;
      if (rest.starts_with(u"?:")) open = "(?:", skip = 2;
      else if (rest.starts_with(u"?=")) open = "(?=", skip = 2, lookaround = true;
      else if (rest.starts_with(u"?!")) open = "(?!", skip = 2, lookaround = true;
      else if (rest.starts_with(u"?<=")) open = "(?<=", skip = 3, lookbehind = true;
      else if (rest.starts_with(u"?<!")) open = "(?<!", skip = 3, lookbehind = true;
      else if (rest.starts_with(u"?<")) open = "(?:", skip = rest.find(u'>') + 1;  // checked by prescan()
      else return fail("Invalid group");
      append_ascii(open, &out_);
      i_ += skip;
    } else {
      append_ascii("(?:", &out_);
    }
    XR_RETURN_IF_ERROR(disjunction(depth + 1));
    if (!at(')')) return fail("Unterminated group");
    ++i_;
    out_.push_back(')');
    if (lookbehind && at_quantifier()) return fail("Nothing to repeat");
    if (lookaround && at_quantifier()) return unsupported("a quantified lookahead");
    return quantifier();
  }

  Status atom() {
    char16_t c = p_[i_];
    if (c == '.') {
      ++i_;
      emit_set(~CharSet().set(0x0A).set(0x0D).set(0x2028).set(0x2029), max_unit_, &out_);
      return Status::ok();
    }
    if (c == '[') return char_class();
    if (c != '\\') {
      ++i_;
      emit_char(c);
      return Status::ok();
    }
    if (i_ + 1 >= p_.size()) return fail("\\ at end of pattern");
    char16_t e = p_[i_ + 1];
    if (is_class_escape(e)) {
      i_ += 2;
      emit_class(class_escape_set(e), false);
      return Status::ok();
    }
    if (e == 'k' && named_groups_) return unsupported("a backreference");
    if (e >= '1' && e <= '9') {
      std::size_t k = i_ + 1;
      unsigned long n = 0;
      while (k < p_.size() && is_decimal(p_[k])) n = std::min<unsigned long>(n * 10 + (p_[k++] - '0'), 1UL << 30);
      if (n <= groups_) return unsupported("a backreference");
    }
    char16_t unit;
    XR_RETURN_IF_ERROR(character_escape(false, &unit));
    emit_char(unit);
    return Status::ok();
  }

  // At a backslash that is not a class escape: reads one character (Annex B rules).
  Status character_escape(bool in_class, char16_t* unit) {
    char16_t e = p_[i_ + 1];
    auto simple = [&](char16_t v) { i_ += 2; *unit = v; return Status::ok(); };
    switch (e) {
      case 'f': return simple(0x0C);
      case 'n': return simple(0x0A);
      case 'r': return simple(0x0D);
      case 't': return simple(0x09);
      case 'v': return simple(0x0B);
      case 'b': if (in_class) return simple(0x08); break;
      case 'c': {
        char16_t l = i_ + 2 < p_.size() ? p_[i_ + 2] : 0;
        bool letter = (l >= 'a' && l <= 'z') || (l >= 'A' && l <= 'Z');
        if (letter || (in_class && (is_decimal(l) || l == '_'))) {
          i_ += 3;
          *unit = static_cast<char16_t>(l % 32);
          return Status::ok();
        }
        ++i_;  // a lone "\c" is a backslash; the 'c' is read next
        *unit = '\\';
        return Status::ok();
      }
      case 'x': case 'u': {
        std::size_t digits = e == 'x' ? 2 : 4;
        unsigned v = 0;
        for (std::size_t k = 0; k < digits; ++k) {
          int h = i_ + 2 + k < p_.size() ? hex_value(p_[i_ + 2 + k]) : -1;
          if (h < 0) return simple(e);
          v = v * 16 + static_cast<unsigned>(h);
        }
        i_ += 2 + digits;
        *unit = static_cast<char16_t>(v);
        return Status::ok();
      }
      default: break;
    }
    if (e == '0' && !(i_ + 2 < p_.size() && is_decimal(p_[i_ + 2]))) return simple(0);
    if (is_octal(e)) {
      std::size_t k = i_ + 1;
      unsigned v = p_[k++] - '0';
      if (k < p_.size() && is_octal(p_[k])) {
        v = v * 8 + (p_[k++] - '0');
        if (p_[i_ + 1] <= '3' && k < p_.size() && is_octal(p_[k])) v = v * 8 + (p_[k++] - '0');
      }
      i_ = k;
      *unit = static_cast<char16_t>(v);
      return Status::ok();
    }
    return simple(e);  // identity escape, including \8 and \9
  }

  // One class atom: a set (for \d and the like) or a single unit.
  Status class_atom(bool* is_set, CharSet* set, char16_t* unit) {
    *is_set = false;
    if (p_[i_] != '\\') {
      *unit = p_[i_++];
      return Status::ok();
    }
    if (i_ + 1 >= p_.size()) return fail("\\ at end of pattern");
    char16_t e = p_[i_ + 1];
    if (is_class_escape(e)) {
      i_ += 2;
      *is_set = true;
      *set = class_escape_set(e);
      return Status::ok();
    }
    if (e == '-') {
      i_ += 2;
      *unit = '-';
      return Status::ok();
    }
    if (e == 'k' && named_groups_) return unsupported("\\k in a class of a pattern with named groups");
    return character_escape(true, unit);
  }

  Status char_class() {
    ++i_;
    bool negate = at('^');
    if (negate) ++i_;
    CharSet set;
    while (true) {
      if (i_ >= p_.size()) return fail("Unterminated character class");
      if (p_[i_] == ']') break;
      bool a_set;
      CharSet a_chars;
      char16_t a;
      XR_RETURN_IF_ERROR(class_atom(&a_set, &a_chars, &a));
      if (at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        bool b_set;
        CharSet b_chars;
        char16_t b;
        XR_RETURN_IF_ERROR(class_atom(&b_set, &b_chars, &b));
        if (a_set || b_set) {  // Annex B: [\d-z] is \d, '-' and 'z'
          set |= a_set ? a_chars : CharSet().set(a);
          set |= b_set ? b_chars : CharSet().set(b);
          set.set('-');
          continue;
        }
        if (a > b) return fail("Range out of order in character class");
        add_range(&set, a, b);
        continue;
      }
      if (a_set) set |= a_chars;
      else set.set(a);
    }
    ++i_;
    emit_class(set, negate);
    return Status::ok();
  }

  std::u16string_view p_;
  bool icase_;
  std::size_t max_unit_;
  std::size_t i_ = 0;
  unsigned long groups_ = 0;
  bool named_groups_ = false;
  std::u16string out_;
};

}  // namespace

Result<std::u16string> translate_js_regex(std::u16string_view pattern, bool ignore_case, bool ascii_subjects) {
  return Translator(pattern, ignore_case, ascii_subjects ? 0x7F : 0xFFFF).run();
}

}  // namespace xr::filter

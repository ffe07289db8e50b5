#include "filter/parser.h"

#include <algorithm>
#include <optional>

#include "filter/js_text.h"
#include "filter/unicode_tables.h"

namespace xr::filter {
namespace {

constexpr std::size_t kFail = static_cast<std::size_t>(-1);

bool name_in(const char* const* names, std::size_t n, const std::string& name) {
  return std::binary_search(names, names + n, name,
                            [](const auto& a, const auto& b) { return std::string_view(a) < std::string_view(b); });
}

// Recursive descent with complex-matcher's exact alternatives and backtracking. Each parse
// function returns the position after what it read, or kFail. Errors that complex-matcher
// throws from inside the grammar (bad comparison operand, bad RegExp) abort with error_.
class Parser {
 public:
  explicit Parser(std::u16string s) : s_(std::move(s)) {}

  Result<Program> run() {
    std::size_t pos = ws(0);
    std::vector<std::uint32_t> terms;
    while (true) {
      std::uint32_t node;
      std::size_t next = term(pos, 0, &node);
      if (!error_.is_ok()) return error_;
      if (next == kFail) break;
      terms.push_back(node);
      pos = next;
    }
    if (pos < s_.size()) {
      return Status(ErrorKind::kInvalidArgument, "parse error: expected end of input at position " + std::to_string(pos));
    }
    prog_.root = terms.empty() ? add(Node{}) : group(NodeKind::kAnd, terms);
    return std::move(prog_);
  }

 private:
  std::uint32_t add(Node n) {
    prog_.nodes.push_back(std::move(n));
    return static_cast<std::uint32_t>(prog_.nodes.size() - 1);
  }
  std::uint32_t group(NodeKind kind, const std::vector<std::uint32_t>& kids) {
    if (kids.size() == 1) return kids[0];  // like complex-matcher's And/Or constructors
    Node n;
    n.kind = kind;
    n.first_child = static_cast<std::uint32_t>(prog_.children.size());
    n.child_count = static_cast<std::uint32_t>(kids.size());
    prog_.children.insert(prog_.children.end(), kids.begin(), kids.end());
    return add(std::move(n));
  }
  std::uint32_t wrap(Node n, std::uint32_t child) {
    n.first_child = static_cast<std::uint32_t>(prog_.children.size());
    n.child_count = 1;
    prog_.children.push_back(child);
    return add(std::move(n));
  }

  bool at(std::size_t pos, char16_t c) const { return pos < s_.size() && s_[pos] == c; }
  std::size_t ws(std::size_t pos) const {
    if (pos > s_.size()) return kFail;  // /\s*/y cannot match past the end
    while (pos < s_.size() && is_js_space(s_[pos])) ++pos;
    return pos;
  }
  std::size_t raw_string(std::size_t pos, bool glob, std::u16string* out) const {
    std::size_t start = pos;
    while (pos < s_.size() && (is_raw_char(s_[pos]) || (glob && s_[pos] == '*'))) ++pos;
    if (pos == start) return kFail;
    *out = s_.substr(start, pos - start);
    return pos;
  }
  // May return s_.size() + 1: a trailing backslash reads one unit past the end, as in JS.
  std::size_t quoted_string(std::size_t pos, std::u16string* out) const {
    if (!at(pos, '"')) return kFail;
    ++pos;
    out->clear();
    while (pos < s_.size()) {
      char16_t c = s_[pos++];
      if (c == '"') break;
      if (c == '\\') {
        if (pos >= s_.size()) { ++pos; break; }
        c = s_[pos++];
      }
      out->push_back(c);
    }
    return pos;
  }
  std::size_t property(std::size_t pos, std::u16string* name) const {
    std::size_t next = quoted_string(pos, name);
    return next != kFail ? next : raw_string(pos, false, name);
  }

  std::size_t term(std::size_t pos, int depth, std::uint32_t* node);
  std::size_t term_body(std::size_t pos, int depth, std::uint32_t* node);
  std::size_t terms_in_group(std::size_t pos, int depth, NodeKind kind, std::uint32_t* node);
  std::size_t comparison(std::size_t pos, std::uint32_t* node);
  std::size_t value(std::size_t pos, std::uint32_t* node);
  std::size_t regex(std::size_t pos, std::uint32_t* node);
  Node named(NodeKind kind, const std::u16string& name) const;
  std::uint32_t glob_or_string(const std::u16string& text);

  std::u16string s_;
  Program prog_;
  Status error_;
};

std::size_t Parser::term(std::size_t pos, int depth, std::uint32_t* node) {
  if (depth > kMaxFilterDepth) {
    error_ = Status(ErrorKind::kInvalidArgument, "parse error: nesting deeper than " +
                                                     std::to_string(kMaxFilterDepth) + " at position " + std::to_string(pos));
    return kFail;
  }
  std::size_t next = term_body(pos, depth, node);
  return next == kFail || !error_.is_ok() ? kFail : ws(next);
}

std::size_t Parser::terms_in_group(std::size_t pos, int depth, NodeKind kind, std::uint32_t* node) {
  std::vector<std::uint32_t> kids;
  while (true) {
    std::uint32_t kid;
    std::size_t next = term(pos, depth + 1, &kid);
    if (!error_.is_ok()) return kFail;
    if (next == kFail) break;
    kids.push_back(kid);
    pos = next;
  }
  if (kids.empty() || !at(pos, ')')) return kFail;
  *node = group(kind, kids);
  return pos + 1;
}

std::size_t Parser::term_body(std::size_t pos, int depth, std::uint32_t* node) {
  if (at(pos, '(')) return terms_in_group(ws(pos + 1), depth, NodeKind::kAnd, node);
  if (at(pos, '|')) {
    std::size_t p = ws(pos + 1);
    return at(p, '(') ? terms_in_group(ws(p + 1), depth, NodeKind::kOr, node) : kFail;
  }
  if (at(pos, '!')) {
    std::uint32_t child;
    std::size_t next = term(ws(pos + 1), depth + 1, &child);
    if (next == kFail) return kFail;
    Node n;
    n.kind = NodeKind::kNot;
    *node = wrap(std::move(n), child);
    return next;
  }
  if (at(pos, '<') || at(pos, '>')) {
    std::size_t next = comparison(pos, node);
    if (next != kFail || !error_.is_ok()) return next;
  }
  std::u16string name;
  std::size_t after_name = property(pos, &name);
  if (after_name != kFail) {
    std::size_t p = ws(after_name);
    if (p != kFail && at(p, ':')) {
      std::uint32_t child;
      std::size_t next = term(ws(p + 1), depth + 1, &child);
      if (!error_.is_ok()) return kFail;
      if (next != kFail) {
        *node = wrap(named(NodeKind::kProperty, name), child);
        return next;
      }
    }
    if (at(after_name, '?')) {
      *node = add(named(NodeKind::kTruthy, name));
      return after_name + 1;
    }
  }
  return value(pos, node);
}

std::size_t Parser::comparison(std::size_t pos, std::uint32_t* node) {
  Node n;
  n.kind = NodeKind::kCompare;
  bool less = s_[pos] == '<';
  std::size_t p = pos + 1;
  bool equal = at(p, '=');
  if (equal) ++p;
  n.op = less ? (equal ? CompareOp::kLessEqual : CompareOp::kLess) : (equal ? CompareOp::kGreaterEqual : CompareOp::kGreater);
  std::u16string text;
  std::size_t next = raw_string(p, false, &text);
  if (next == kFail) return kFail;
  std::optional<double> v = js_string_to_number(utf16_to_utf8(text));
  if (!v) {
    error_ = Status(ErrorKind::kInvalidArgument, "value must be a number");
    return kFail;
  }
  n.number = *v;
  *node = add(std::move(n));
  return next;
}

std::size_t Parser::value(std::size_t pos, std::uint32_t* node) {
  std::u16string text;
  std::size_t next = quoted_string(pos, &text);
  if (next != kFail) {
    Node n;
    n.kind = NodeKind::kString;
    n.text = js_to_lower(utf16_to_utf8(text));
    n.text_ascii = is_ascii(n.text);
    *node = add(std::move(n));
    return next;
  }
  if (at(pos, '/')) return regex(pos, node);
  next = raw_string(pos, true, &text);
  if (next == kFail) return kFail;
  std::string utf8 = utf16_to_utf8(text);
  std::optional<double> number = js_string_to_number(utf8);
  if (number) {
    Node n;
    n.kind = NodeKind::kNumberOrString;
    n.number = *number;
    n.text = js_to_lower(utf8);
    n.text_ascii = is_ascii(n.text);
    *node = add(std::move(n));
  } else {
    *node = glob_or_string(text);
  }
  return error_.is_ok() ? next : kFail;
}

std::size_t Parser::regex(std::size_t pos, std::uint32_t* node) {
  std::size_t p = pos + 1;
  std::u16string pattern;
  char16_t c = 0;
  bool escaped = false, any = false;
  // complex-matcher's loop: a '/' ends the pattern unless the previous unit was '\'.
  while (p < s_.size()) {
    c = s_[p++];
    any = true;
    if (c == '/' && !escaped) break;
    escaped = c == '\\';
    pattern.push_back(c);
  }
  if (!any || c != '/') return kFail;
  bool icase = at(p, 'i');
  if (icase) ++p;
  auto re = JsRegex::compile(pattern, icase);
  if (!re.is_ok()) {
    error_ = re.status();
    return kFail;
  }
  Node n;
  n.kind = NodeKind::kRegex;
  n.regex = std::move(re).value();
  *node = add(std::move(n));
  return p;
}

Node Parser::named(NodeKind kind, const std::u16string& name) const {
  Node n;
  n.kind = kind;
  n.text = utf16_to_utf8(name);
  n.is_length = n.text == "length";
  const std::string& t = n.text;
  if (!t.empty() && t.size() <= 10 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      (t == "0" || t[0] != '0')) {
    unsigned long long v = std::stoull(t);
    n.is_index = v < 0xFFFFFFFFULL;
    n.index = static_cast<std::uint32_t>(v);
  }
  using namespace tables;
  if (name_in(kObjectProto, kObjectProto_size, t)) {
    n.inherited |= kInObject | kInArray | kInString | kInNumber | kInBoolean | kInFunction;
  }
  if (name_in(kFunctionProto, kFunctionProto_size, t)) n.inherited |= kInFunction;
  if (name_in(kArrayProto, kArrayProto_size, t)) n.inherited |= kInArray;
  if (name_in(kStringProto, kStringProto_size, t)) n.inherited |= kInString;
  if (name_in(kNumberProto, kNumberProto_size, t)) n.inherited |= kInNumber;
  if (name_in(kBooleanProto, kBooleanProto_size, t)) n.inherited |= kInBoolean;
  return n;
}

// complex-matcher's GlobPattern: pieces between '*' escaped and joined with ".*", flag i.
std::uint32_t Parser::glob_or_string(const std::u16string& text) {
  Node n;
  if (text.find(u'*') == std::u16string::npos) {
    n.kind = NodeKind::kString;
    n.text = js_to_lower(utf16_to_utf8(text));
    n.text_ascii = is_ascii(n.text);
    return add(std::move(n));
  }
  std::u16string source;
  std::string piece;
  n.glob_ascii = true;
  auto flush = [&] {
    n.glob_ascii = n.glob_ascii && is_ascii(piece);
    n.glob_pieces.push_back(js_to_lower(piece));
    piece.clear();
  };
  for (char16_t c : text) {
    if (c == '*') {
      source += u".*";
      flush();
      continue;
    }
    if (c == '.' || c == '$') source.push_back('\\');
    source.push_back(c);
    piece += utf16_to_utf8(std::u16string(1, c));
  }
  flush();
  auto re = JsRegex::compile(source, true);
  if (!re.is_ok()) {
    error_ = re.status();
    return add(std::move(n));
  }
  n.kind = NodeKind::kRegex;
  n.regex = std::move(re).value();
  return add(std::move(n));
}

}  // namespace

Result<Program> parse_filter(std::string_view utf8) {
  if (utf8.size() > kMaxFilterBytes) {
    return Status(ErrorKind::kInvalidArgument,
                  "parse error: filter longer than " + std::to_string(kMaxFilterBytes) + " bytes");
  }
  return Parser(utf8_to_utf16(utf8)).run();
}

}  // namespace xr::filter

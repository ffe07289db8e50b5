// Evaluates a parsed Program on one object seen through any JsonView, with complex-matcher
// 1.1.x semantics (JavaScript property lookup, coercions and truthiness). Header-only
// template; no allocation on the common paths; any thread.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "base/json_view.h"
#include "filter/ast.h"
#include "filter/js_regex.h"
#include "filter/js_text.h"

namespace xr::filter {

// True when every '*'-separated piece occurs in order (ASCII text, no line terminators).
bool glob_pieces_match(std::string_view text, const std::vector<std::string>& pieces);
// The integer an object key names when it is String(i) for a safe integer i.
std::optional<std::uint64_t> canonical_index(std::string_view key);
// JavaScript `s[i]` for a string: nullopt past the end.
std::optional<std::string> string_unit(std::string_view s, std::uint32_t index);

template <JsonView V>
class Evaluator {
 public:
  // hints (one per node) and scratch are optional per-scan state; see Filter::Matcher.
  Evaluator(const Program& program, std::uint32_t* hints, RegexScratch* scratch)
      : p_(program), hints_(hints), scratch_(scratch) {}

  bool matches(const V& object) const { return eval(p_.root, Val::of(object)); }

 private:
  // A JavaScript value: a JSON value of the object, or one JavaScript derives from it
  // (an array or string length, a string's code unit, an inherited method: kOpaque, whose
  // own name and length are not modelled).
  struct Val {
    enum Tag { kUndefined, kJson, kNumber, kString, kOpaque } tag;
    V json;
    double num;
    char unit[4] = {};         // kString: one UTF-16 code unit as (W)UTF-8, at most 3 bytes
    std::uint8_t unit_size = 0;
    std::string_view str() const { return {unit, unit_size}; }
    Val(Tag t, const V& j, double n = 0) : tag(t), json(j), num(n) {}
    static Val of(const V& j) { return Val(kJson, j); }
    static Val undefined(const V& j) { return Val(kUndefined, j); }
    static Val opaque(const V& j) { return Val(kOpaque, j); }
    static Val number(const V& j, double n) { return Val(kNumber, j, n); }
  };

  const Node& node(std::uint32_t id) const { return p_.nodes[id]; }
  std::uint32_t child(const Node& n, std::uint32_t k) const { return p_.children[n.first_child + k]; }

  bool eval(std::uint32_t id, const Val& v) const {
    const Node& n = node(id);
    switch (n.kind) {
      case NodeKind::kAll: return true;
      case NodeKind::kAnd:
        for (std::uint32_t k = 0; k < n.child_count; ++k) {
          if (!eval(child(n, k), v)) return false;
        }
        return true;
      case NodeKind::kOr:
        for (std::uint32_t k = 0; k < n.child_count; ++k) {
          if (eval(child(n, k), v)) return true;
        }
        return false;
      case NodeKind::kNot: return !eval(child(n, 0), v);
      case NodeKind::kCompare: return compare(to_number(v), n);
      case NodeKind::kProperty: {
        bool r;
        if (hints_ != nullptr && v.tag == Val::kJson && v.json.kind() == JsonKind::kObject &&
            property_fast(n, id, v.json, &r)) {
          return r;
        }
        return !nullish(v) && eval(child(n, 0), get(v, n, id));
      }
      case NodeKind::kTruthy: return !nullish(v) && truthy(get(v, n, id));
      default: return leaf(n, v);
    }
  }

  static bool compare(double a, const Node& n) {
    switch (n.op) {  // NaN compares false, as in JavaScript
      case CompareOp::kLess: return a < n.number;
      case CompareOp::kLessEqual: return a <= n.number;
      case CompareOp::kGreater: return a > n.number;
      case CompareOp::kGreaterEqual: return a >= n.number;
    }
    return false;
  }

  static bool nullish(const Val& v) {
    return v.tag == Val::kUndefined || (v.tag == Val::kJson && v.json.kind() == JsonKind::kNull);
  }

  static bool truthy(const Val& v) {
    switch (v.tag) {
      case Val::kUndefined: return false;
      case Val::kNumber: return v.num != 0 && !std::isnan(v.num);
      case Val::kString: return v.unit_size != 0;
      case Val::kOpaque: return true;
      case Val::kJson: break;
    }
    switch (v.json.kind()) {
      case JsonKind::kNull: case JsonKind::kFalse: return false;
      case JsonKind::kNumber: { double d = v.json.number(); return d != 0 && !std::isnan(d); }
      case JsonKind::kString: return !std::string_view(v.json.string()).empty();
      default: return true;
    }
  }

  static double text_number(std::string_view s) {
    auto d = js_string_to_number(s);
    return d ? *d : NAN;
  }

  // ToNumber of an array element inside Array.prototype.join (null -> "", [x] -> x).
  static double joined_number(const V& j) {
    switch (j.kind()) {
      case JsonKind::kNull: return 0;
      case JsonKind::kNumber: return j.number();
      case JsonKind::kString: return text_number(j.string());
      case JsonKind::kArray:
        return j.size() == 0 ? 0 : j.size() == 1 ? joined_number(j.at(0)) : NAN;
      default: return NAN;
    }
  }

  static double to_number(const Val& v) {
    switch (v.tag) {
      case Val::kNumber: return v.num;
      case Val::kString: return text_number(v.str());
      case Val::kJson: break;
      default: return NAN;
    }
    switch (v.json.kind()) {
      case JsonKind::kNull: case JsonKind::kFalse: return 0;
      case JsonKind::kTrue: return 1;
      case JsonKind::kNumber: return v.json.number();
      case JsonKind::kString: return text_number(v.json.string());
      case JsonKind::kArray: return joined_number(v.json);
      default: return NAN;
    }
  }

  static Val string_property(const V& at, std::string_view s, const Node& n) {
    if (n.is_index) {
      auto unit = string_unit(s, n.index);
      if (unit) {
        Val r(Val::kString, at);
        r.unit_size = static_cast<std::uint8_t>(unit->copy(r.unit, sizeof r.unit - 1));
        return r;
      }
    }
    if (n.is_length) return Val::number(at, static_cast<double>(is_ascii(s) ? s.size() : utf16_length(s)));
    return (n.inherited & kInString) ? Val::opaque(at) : Val::undefined(at);
  }

  // JavaScript value[name]: own JSON member, index, length, or an inherited method.
  Val get(const Val& v, const Node& n, std::uint32_t id) const {
    const V& j = v.json;
    switch (v.tag) {
      case Val::kNumber: return (n.inherited & kInNumber) ? Val::opaque(j) : Val::undefined(j);
      case Val::kString: return string_property(j, v.str(), n);
      case Val::kOpaque: return (n.inherited & kInFunction) ? Val::opaque(j) : Val::undefined(j);
      case Val::kJson: break;
      default: return Val::undefined(j);
    }
    switch (j.kind()) {
      case JsonKind::kObject: {
        if (hints_ != nullptr) return member_with_hint(j, n, hints_[id]);
        V out = j;
        if (j.find(n.text, &out)) return Val::of(out);
        return (n.inherited & kInObject) ? Val::opaque(j) : Val::undefined(j);
      }
      case JsonKind::kArray:
        if (n.is_index && n.index < j.size()) return Val::of(j.at(n.index));
        if (n.is_length) return Val::number(j, static_cast<double>(j.size()));
        return (n.inherited & kInArray) ? Val::opaque(j) : Val::undefined(j);
      case JsonKind::kString: return string_property(j, j.string(), n);
      case JsonKind::kNumber: return (n.inherited & kInNumber) ? Val::opaque(j) : Val::undefined(j);
      case JsonKind::kTrue: case JsonKind::kFalse:
        return (n.inherited & kInBoolean) ? Val::opaque(j) : Val::undefined(j);
      default: return Val::undefined(j);
    }
  }

  // XO objects of one collection share their key order: try where the name was last time.
  static bool find_hinted(const V& j, const Node& n, std::uint32_t& hint, V* out) {
    const std::size_t size = j.size();
    // Absent optional keys shift a member by a few places: look near the hint first.
    const std::size_t lo = hint > 4 ? hint - 4 : 0, hi = std::min<std::size_t>(size, std::size_t{hint} + 5);
    for (std::size_t k = 0; k < 9; ++k) {
      std::size_t i = (k & 1) ? std::size_t{hint} - (k + 1) / 2 : std::size_t{hint} + k / 2;
      if (i >= lo && i < hi && std::string_view(j.key(i)) == n.text) {
        hint = static_cast<std::uint32_t>(i);
        *out = j.value(i);
        return true;
      }
    }
    for (std::size_t i = 0; i < size; ++i) {
      if ((i < lo || i >= hi) && std::string_view(j.key(i)) == n.text) {
        hint = static_cast<std::uint32_t>(i);
        *out = j.value(i);
        return true;
      }
    }
    return false;
  }

  Val member_with_hint(const V& j, const Node& n, std::uint32_t& hint) const {
    V out = j;
    if (find_hinted(j, n, hint, &out)) return Val::of(out);
    return (n.inherited & kInObject) ? Val::opaque(j) : Val::undefined(j);
  }

  static bool is_leaf(NodeKind k) {
    return k == NodeKind::kString || k == NodeKind::kNumberOrString || k == NodeKind::kRegex;
  }

  // The common scan step, without building intermediate values: object member -> leaf test.
  bool property_fast(const Node& n, std::uint32_t id, const V& object, bool* result) const {
    V out = object;
    if (!find_hinted(object, n, hints_[id], &out)) return false;
    std::uint32_t c = child(n, 0);
    const Node& cn = node(c);
    *result = is_leaf(cn.kind) ? leaf_json(cn, out) : eval(c, Val::of(out));
    return true;
  }

  bool leaf_text(const Node& n, std::string_view s) const {
    if (n.kind != NodeKind::kRegex) return contains_ignore_case(s, n.text, n.text_ascii);
    if (n.glob_ascii && is_ascii(s) && s.find_first_of("\r\n") == std::string_view::npos) {
      return glob_pieces_match(s, n.glob_pieces);
    }
    return scratch_ != nullptr ? n.regex->test(s, scratch_) : n.regex->test(s);
  }

  // String, NumberOrString and RegExp/glob nodes: recursive into arrays and plain objects.
  bool leaf_json(const Node& n, const V& j) const {
    switch (j.kind()) {
      case JsonKind::kString: return leaf_text(n, j.string());
      case JsonKind::kNumber: return n.kind == NodeKind::kNumberOrString && j.number() == n.number;
      case JsonKind::kArray:
        for (std::size_t i = 0, e = j.size(); i < e; ++i) {
          if (leaf_json(n, j.at(i))) return true;
        }
        return false;
      case JsonKind::kObject: {
        // Array-like objects visit a subset of members, so only a hit needs the check.
        for (std::size_t i = 0, e = j.size(); i < e; ++i) {
          if (!leaf_json(n, j.value(i))) continue;
          double length;
          return array_like_length(j, &length) ? array_like_some(n, j, length) : true;
        }
        return false;
      }
      default: return false;
    }
  }

  // lodash's some() treats an object whose "length" is a valid array length as array-like.
  static bool array_like_length(const V& j, double* length) {
    for (std::size_t i = 0, e = j.size(); i < e; ++i) {
      if (std::string_view(j.key(i)) != "length") continue;
      V v = j.value(i);
      if (v.kind() != JsonKind::kNumber) return false;
      double d = v.number();
      *length = d;
      return d > -1 && d == std::floor(d) && d <= 9007199254740991.0;
    }
    return false;
  }
  // Then only members "0" .. "length-1" are visited.
  bool array_like_some(const Node& n, const V& j, double length) const {
    for (std::size_t i = 0, e = j.size(); i < e; ++i) {
      auto index = canonical_index(j.key(i));
      if (index && static_cast<double>(*index) < length && leaf_json(n, j.value(i))) return true;
    }
    return false;
  }

  bool leaf(const Node& n, const Val& v) const {
    switch (v.tag) {
      case Val::kJson: return leaf_json(n, v.json);
      case Val::kNumber: return n.kind == NodeKind::kNumberOrString && v.num == n.number;
      case Val::kString: return leaf_text(n, v.str());
      default: return false;
    }
  }

  const Program& p_;
  std::uint32_t* hints_;
  RegexScratch* scratch_;
};

}  // namespace xr::filter

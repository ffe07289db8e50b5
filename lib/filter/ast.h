// The compiled form of a filter: a flat tree of nodes (index-linked) produced by the parser
// and read by the evaluator. Immutable after parsing; any thread may read it concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filter/js_regex.h"

namespace xr::filter {

enum class NodeKind : std::uint8_t {
  kAll,       // empty filter: matches everything
  kAnd,       // every child
  kOr,        // any child
  kNot,       // negation of child 0
  kCompare,   // JavaScript relational operator against `number`
  kProperty,  // child 0 applied to value[name]
  kTruthy,    // value[name] is JavaScript-truthy
  kString,    // case-insensitive substring (text = lower-cased needle), recursive
  kNumberOrString,  // === number, or substring `text`, recursive
  kRegex,     // JavaScript RegExp.test (regex), recursive; globs compile to this too
};

enum class CompareOp : std::uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual };

// Which JavaScript prototypes define a property name (so value[name] is a function there).
enum InheritedIn : std::uint8_t {
  kInObject = 1, kInArray = 2, kInString = 4, kInNumber = 8, kInBoolean = 16, kInFunction = 32,
};

struct Node {
  NodeKind kind = NodeKind::kAll;
  CompareOp op = CompareOp::kLess;
  std::uint8_t inherited = 0;       // InheritedIn bits, for kProperty / kTruthy names
  bool is_length = false;           // name == "length"
  bool is_index = false;            // name is a canonical array index
  std::uint32_t index = 0;          // that index
  std::uint32_t first_child = 0;    // into Program::children
  std::uint32_t child_count = 0;
  double number = 0;                // kCompare operand, kNumberOrString value
  std::string text;                 // property name, or lower-cased needle
  bool text_ascii = true;           // needle is ASCII
  std::shared_ptr<const JsRegex> regex;  // kRegex
  // Glob fast path: lower-cased ASCII pieces between '*' (set when every piece is ASCII).
  std::vector<std::string> glob_pieces;
  bool glob_ascii = false;
};

struct Program {
  std::vector<Node> nodes;
  std::vector<std::uint32_t> children;
  std::uint32_t root = 0;
};

}  // namespace xr::filter

// Parser of XO's filter language (complex-matcher): UTF-8 text -> Program. Mirrors
// complex-matcher's ordered-choice grammar on UTF-16 code units, so error positions agree.
// Any thread; bounded input size and nesting, so hostile filters fail fast.
#pragma once

#include <string_view>

#include "base/status.h"
#include "filter/ast.h"

namespace xr::filter {

constexpr std::size_t kMaxFilterBytes = 16384;
constexpr int kMaxFilterDepth = 100;

// Errors (kInvalidArgument): "parse error: expected end of input at position <n>",
// "value must be a number", "Invalid regular expression: ...", "Unsupported regular
// expression: ...", and our limits ("parse error: filter longer than ...", "... nesting ...").
Result<Program> parse_filter(std::string_view utf8);

}  // namespace xr::filter

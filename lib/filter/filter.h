// Filter: a compiled XO filter (complex-matcher 1.1.x semantics), built once per request and
// evaluated on any xr::JsonView without copying the object. Immutable after compile();
// matches() is const, never blocks, and may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/json_view.h"
#include "base/status.h"
#include "filter/ast.h"
#include "filter/evaluator.h"

namespace xr::filter {

class Filter {
 public:
  // Parses and compiles `text` (UTF-8). Errors are kInvalidArgument with XO's message.
  static Result<Filter> compile(std::string_view text);

  // True when the object matches; an empty filter matches everything.
  template <JsonView V>
  bool matches(const V& object) const {
    return Evaluator<V>(*program_).matches(object);
  }
  bool matches_everything() const { return program_->nodes[program_->root].kind == NodeKind::kAll; }
  const std::string& source() const { return source_; }

 private:
  Filter(std::shared_ptr<const Program> program, std::string source)
      : program_(std::move(program)), source_(std::move(source)) {}
  std::shared_ptr<const Program> program_;
  std::string source_;
};

// For the HTTP layer: compiles the raw `filter` query value. On error the Status message is
// XO's "error" text; filter_error_body() renders XO's 400 body for it:
//   {"error":"parse error: ...","data":{"stringToParse":"<raw>"}}
Result<Filter> compile_query_filter(std::string_view raw);
std::string filter_error_body(const Status& error, std::string_view raw);

}  // namespace xr::filter

// Filter: a compiled XO filter (complex-matcher 1.1.x semantics), built once per request and
// evaluated on any xr::JsonView without copying the object. Immutable after compile();
// matches() is const, never blocks, and may run on several threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
    return Evaluator<V>(*program_, nullptr, nullptr).matches(object);
  }

  // For scanning a collection: remembers where each property sat in the previous object and
  // reuses regex buffers, so same-shaped objects cost less. With a budget, the regex tests
  // spend its match steps (and answer false once it is spent). One thread at a time.
  template <JsonView V>
  class Matcher {
   public:
    explicit Matcher(const Filter& filter, MatchBudget* budget = nullptr)
        : program_(filter.program_), hints_(program_->nodes.size(), 0), scratch_(budget) {}
    bool operator()(const V& object) { return Evaluator<V>(*program_, hints_.data(), &scratch_).matches(object); }

   private:
    std::shared_ptr<const Program> program_;
    std::vector<std::uint32_t> hints_;
    RegexScratch scratch_;
  };
  template <JsonView V>
  Matcher<V> matcher(MatchBudget* budget = nullptr) const {
    return Matcher<V>(*this, budget);
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

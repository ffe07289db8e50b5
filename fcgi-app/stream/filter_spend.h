// What a long-lived request's filter may spend in the stream role (issue 17, defect 5 for
// watches): the list budget of [server] filter_match_budget PCRE2 match steps, over the
// whole life of whoever holds it (only tests that hit PCRE2's per-test limit spend them, as
// for lists), and filter_time_budget_ms of wall clock per pass (a load, one batch of
// changes). Held by a watch View (shared by its watchers) or a /tasks watch. Stream thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/status.h"
#include "filter/js_regex.h"

namespace xr::app {

struct FilterLimits {
  uint64_t match_steps = 10'000'000;
  int64_t time_ms = 5000;
};

class FilterSpend {
 public:
  explicit FilterSpend(FilterLimits limits);
  // Given to the filter's Matcher: its regex tests spend it.
  filter::MatchBudget* match() { return &budget_; }
  // A new pass: its wall-clock bound starts now.
  void start_pass();
  // After each filter test: false once the budget is spent (error() says why, for good).
  bool after_test();
  // OK while within the budget; else kInvalidArgument (match steps, XO's "filter too costly")
  // or kUnavailable (time).
  const Status& error() const { return error_; }

 private:
  FilterLimits limits_;
  filter::MatchBudget budget_;
  std::chrono::steady_clock::time_point deadline_;
  uint64_t steps_at_check_;
  unsigned tests_ = 0;
  Status error_;
};

}  // namespace xr::app

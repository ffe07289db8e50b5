// What one list request may spend on its filter (issue 17, defect 5): the PCRE2 match steps
// of [server] filter_match_budget summed over all its regex tests, filter_time_budget_ms of
// wall-clock, and nothing more once its client went away (nginx closed the request's
// connection). Worker request thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "filter/js_regex.h"
#include "routes/context.h"

namespace xr::app {

class FilterBudget {
 public:
  explicit FilterBudget(const Context& ctx);

  // Given to the scan's filter::Filter::Matcher: its regex tests spend it.
  filter::MatchBudget* match() { return &match_; }

  // After each object filtered. OK while the request may go on; else kInvalidArgument
  // (match steps spent: the filter is too costly), kUnavailable (time spent) or kCancelled
  // (the client is gone: nothing to answer).
  Status check();

 private:
  using Clock = std::chrono::steady_clock;
  const Response& res_;
  filter::MatchBudget match_;
  std::uint64_t steps_at_start_;
  std::int64_t time_budget_ms_;
  Clock::time_point deadline_;
  Clock::time_point next_client_check_;
  std::uint64_t steps_at_last_check_;
  Clock::time_point last_clock_read_;
  unsigned stride_ = 1;   // objects between clock reads: 1 while objects are slow, else 32
  unsigned objects_ = 0;  // since the last clock read
};

}  // namespace xr::app

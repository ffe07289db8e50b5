#include "stream/filter_spend.h"

#include <string>

namespace xr::app {

FilterSpend::FilterSpend(FilterLimits limits)
    : limits_(limits), budget_{limits.match_steps}, steps_at_check_(limits.match_steps) {
  start_pass();
}

void FilterSpend::start_pass() {
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.time_ms);
}

bool FilterSpend::after_test() {
  if (!error_.is_ok()) return false;
  if (budget_.spent()) {
    error_ = Status(ErrorKind::kInvalidArgument,
                    "filter too costly: its regular expressions used the watch's budget of " +
                        std::to_string(limits_.match_steps) + " PCRE2 match steps ([server] filter_match_budget)");
    return false;
  }
  // The clock every 32 tests, and after each test that hit PCRE2's limit (tens of ms each).
  const bool costly = budget_.steps_left != steps_at_check_;
  if (++tests_ % 32 != 0 && !costly) return true;
  steps_at_check_ = budget_.steps_left;
  if (std::chrono::steady_clock::now() < deadline_) return true;
  error_ = Status(ErrorKind::kUnavailable, "filter took longer than the watch's budget of " +
                                               std::to_string(limits_.time_ms) +
                                               " ms for one batch of changes ([server] filter_time_budget_ms)");
  return false;
}

}  // namespace xr::app

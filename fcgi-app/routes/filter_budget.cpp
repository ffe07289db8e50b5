#include "routes/filter_budget.h"

namespace xr::app {
namespace {

// The clock is read every kObjectsPerClockRead objects while objects are cheap (a plain
// filter costs well under a microsecond each), after every object once kObjectsPerClockRead
// of them took longer than kSlowStride (a regex that never hits PCRE2's limit can still cost
// tens of milliseconds per object: 32 of those let a client that left wait seconds), and
// after every regex test that hit its limit. The client's socket is polled at most every
// kClientCheck.
constexpr unsigned kObjectsPerClockRead = 32;
constexpr auto kSlowStride = std::chrono::milliseconds(2);
constexpr auto kClientCheck = std::chrono::milliseconds(20);

}  // namespace

FilterBudget::FilterBudget(const Context& ctx)
    : res_(ctx.res),
      match_{static_cast<std::uint64_t>(ctx.svc.config.filter_match_budget)},
      steps_at_start_(match_.steps_left),
      time_budget_ms_(ctx.svc.config.filter_time_budget_ms),
      deadline_(Clock::now() + std::chrono::milliseconds(time_budget_ms_)),
      next_client_check_(Clock::now() + kClientCheck),
      steps_at_last_check_(match_.steps_left),
      last_clock_read_(Clock::now()) {}

Status FilterBudget::check() {
  if (match_.spent()) {
    return Status(ErrorKind::kInvalidArgument,
                  "filter too costly: its regular expressions used the request's budget of " +
                      std::to_string(steps_at_start_) + " PCRE2 match steps ([server] filter_match_budget)");
  }
  const bool costly_test = match_.steps_left != steps_at_last_check_;
  if (++objects_ < stride_ && !costly_test) return Status::ok();
  objects_ = 0;
  steps_at_last_check_ = match_.steps_left;
  const Clock::time_point now = Clock::now();
  stride_ = now - last_clock_read_ > kSlowStride ? 1 : kObjectsPerClockRead;
  last_clock_read_ = now;
  if (now >= deadline_) {
    return Status(ErrorKind::kUnavailable, "filter took longer than the request's budget of " +
                                               std::to_string(time_budget_ms_) +
                                               " ms ([server] filter_time_budget_ms)");
  }
  if (now >= next_client_check_) {
    next_client_check_ = now + kClientCheck;
    if (res_.client_gone()) return Status(ErrorKind::kCancelled, "the client went away during the filter");
  }
  return Status::ok();
}

}  // namespace xr::app

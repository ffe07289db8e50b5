#include "config/duration.h"

#include <charconv>
#include <string>

namespace xr::config {

Result<int64_t> parse_duration_ms(std::string_view text) {
  int64_t n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || p == text.data() || n < 0) {
    return Status(ErrorKind::kInvalidArgument, "invalid duration \"" + std::string(text) + "\"");
  }
  std::string_view unit(p, static_cast<size_t>(end - p));
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m" || unit == "min") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else if (unit == "w") scale = 7 * 86'400'000LL;
  else return Status(ErrorKind::kInvalidArgument, "invalid duration unit in \"" + std::string(text) + "\"");
  if (n > INT64_MAX / scale) return Status(ErrorKind::kInvalidArgument, "duration too long");
  return n * scale;
}

}  // namespace xr::config

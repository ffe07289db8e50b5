#include "config/duration.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace xr::config {

namespace {

constexpr double kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute,
                 kDay = 24 * kHour, kWeek = 7 * kDay, kYear = 365.25 * kDay;

struct Unit {
  std::string_view name;
  double ms;
};
constexpr std::array<Unit, 23> kUnits = {{
    {"milliseconds", 1}, {"millisecond", 1}, {"msecs", 1}, {"msec", 1}, {"ms", 1},
    {"seconds", kSecond}, {"second", kSecond}, {"secs", kSecond}, {"sec", kSecond}, {"s", kSecond},
    {"minutes", kMinute}, {"minute", kMinute}, {"mins", kMinute}, {"min", kMinute}, {"m", kMinute},
    {"hours", kHour}, {"hour", kHour}, {"hrs", kHour}, {"hr", kHour}, {"h", kHour},
    {"days", kDay}, {"day", kDay}, {"d", kDay}}};
constexpr std::array<Unit, 8> kLongUnits = {{
    {"weeks", kWeek}, {"week", kWeek}, {"w", kWeek},
    {"years", kYear}, {"year", kYear}, {"yrs", kYear}, {"yr", kYear}, {"y", kYear}}};

Status invalid(std::string_view text) {
  return Status(ErrorKind::kInvalidArgument, "invalid duration \"" + std::string(text) +
                                                 "\" (e.g. 30d, 12h, \"2 hours\", \"1 day\")");
}

// The number part of `ms`'s grammar: -?\d*\.?\d+ (so "5." is not a number, ".5" is).
size_t number_length(std::string_view s) {
  size_t i = s.starts_with('-') ? 1 : 0;
  const size_t start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && s[i] == '.') {
    const size_t dot = i++;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == dot + 1) i = dot;  // "5." : the dot is not part of the number
  }
  return i > start && std::isdigit(static_cast<unsigned char>(s[i - 1])) ? i : 0;
}

std::optional<double> unit_ms(std::string_view unit) {
  std::string lower(unit);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty()) return 1.0;
  for (const Unit& u : kUnits) if (u.name == lower) return u.ms;
  for (const Unit& u : kLongUnits) if (u.name == lower) return u.ms;
  return std::nullopt;
}

}  // namespace

Result<int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty() || text.size() > 100) return invalid(text);
  const size_t n = number_length(text);
  if (n == 0) return invalid(text);
  std::string_view rest = text.substr(n);
  while (rest.starts_with(' ')) rest.remove_prefix(1);
  const std::optional<double> scale = unit_ms(rest);
  if (!scale) return invalid(text);
  const double value = std::strtod(std::string(text.substr(0, n)).c_str(), nullptr) * *scale;
  if (!std::isfinite(value) || std::fabs(value) > 9.0e15) {
    return Status(ErrorKind::kInvalidArgument, "duration \"" + std::string(text) + "\" is too long");
  }
  return static_cast<int64_t>(std::llround(value));
}

}  // namespace xr::config

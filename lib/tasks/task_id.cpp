#include "tasks/task_id.h"

#include <random>

namespace xr::tasks {

namespace {

constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr size_t kTimeWidth = 9;
constexpr size_t kSuffixLength = 10;

}  // namespace

std::string base36_time(int64_t ms) {
  std::string out;
  uint64_t v = ms < 0 ? 0 : static_cast<uint64_t>(ms);
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  if (out.size() < kTimeWidth) out.insert(0, kTimeWidth - out.size(), '0');
  return out;
}

std::string new_task_id(int64_t ms) {
  // Not a secret: uniqueness within one millisecond is all the suffix is for.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string id = base36_time(ms) + "-";
  std::uniform_int_distribution<int> digit(0, 35);
  for (size_t i = 0; i < kSuffixLength; ++i) id += kDigits[digit(rng)];
  return id;
}

bool plausible_task_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace xr::tasks

#include "transfer/range.h"

#include <algorithm>
#include <cctype>

namespace xr::transfer {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only, no sign, no overflow.
bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool starts_with_bytes_unit(std::string_view h) {
  if (h.size() < 6) return false;
  std::string unit(h.substr(0, 6));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return unit == "bytes=";
}

}  // namespace

RangeRequest parse_range(std::string_view header, uint64_t size, std::string_view if_range,
                         std::string_view etag) {
  RangeRequest whole;
  header = trim(header);
  if (header.empty() || !starts_with_bytes_unit(header)) return whole;
  // If-Range with a validator that does not match (or a date: we have no Last-Modified)
  // means "send me everything".
  if (!trim(if_range).empty() && (etag.empty() || trim(if_range) != etag)) return whole;
  std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: ignored
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  RangeRequest out;
  out.kind = RangeRequest::Kind::kPartial;
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last N bytes
    if (!parse_u64(b, &last)) return whole;
    if (last == 0 || size == 0) return {RangeRequest::Kind::kUnsatisfiable, {}};
    out.range = {size - std::min(last, size), size - 1};
    return out;
  }
  if (!parse_u64(a, &first)) return whole;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!parse_u64(b, &last) || last < first) {
    return whole;
  }
  if (first >= size) return {RangeRequest::Kind::kUnsatisfiable, {}};
  out.range = {first, std::min(last, size - 1)};
  return out;
}

std::string content_range(const ByteRange& r, uint64_t size) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" + std::to_string(size);
}

std::string content_range_unsatisfied(uint64_t size) { return "bytes */" + std::to_string(size); }

std::string_view RangeWindow::feed(std::string_view chunk) {
  uint64_t start = pos_, end = pos_ + chunk.size();  // [start, end)
  pos_ = end;
  if (end <= r_.first || start > r_.last) return {};
  uint64_t from = std::max(start, r_.first) - start;
  uint64_t to = std::min(end, r_.last + 1) - start;
  return chunk.substr(from, to - from);
}

}  // namespace xr::transfer

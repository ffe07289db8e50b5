// Revisions: a point in the history of the object cache, "<instance>-<seq>" (the segment's
// random instance in 8 hex digits, the change-log sequence number in decimal). A restarted
// service has a new segment: its revisions never match an earlier one's. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xr::live {

struct Revision {
  uint32_t instance = 0;
  uint64_t seq = 0;
  bool operator==(const Revision&) const = default;
};

std::string format_revision(Revision r);
// nullopt when `text` is not "<8 hex>-<decimal>".
std::optional<Revision> parse_revision(std::string_view text);

}  // namespace xr::live

// VM guest-network helpers: XO's `addresses` normalisation and `mainIpAddress` choice
// from VM_guest_metrics.networks. Pure functions, any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xr::xo {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// Keys "<dev>/ip" (old protocol: space-separated list, counts as ipv4), "<dev>/ipv4/<n>",
// "<dev>/ipv6/<n>" become "<dev>/<proto>/<i>" with duplicates and empty values dropped,
// numbered per device and protocol in sorted-key order. Other keys are ignored.
StringPairs normalize_vm_networks(const StringPairs& networks);

// First (sorted) "<n>/ip" or "<n>/ipv4/<m>" value, else the first "<n>/ipv6/<m>" value,
// else "" (no main address).
std::string main_ip_address(const StringPairs& networks);

}  // namespace xr::xo

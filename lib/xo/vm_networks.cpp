#include "xo/vm_networks.h"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace xr::xo {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

struct Key {
  std::string_view device;
  std::string_view proto;  // "ip", "ipv4", "ipv6"
  bool ok = false;
};

// Parses "<dev>/ip" and "<dev>/ipv4|ipv6/<anything non-empty>".
Key parse_key(std::string_view k) {
  Key out;
  size_t slash = k.find('/');
  if (slash == std::string_view::npos || !all_digits(k.substr(0, slash))) return out;
  out.device = k.substr(0, slash);
  std::string_view rest = k.substr(slash + 1);
  if (rest == "ip") {
    out.proto = "ip";
    out.ok = true;
  } else if (rest.size() > 5 && (rest.starts_with("ipv4/") || rest.starts_with("ipv6/"))) {
    out.proto = rest.substr(0, 4);
    out.ok = true;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<const std::pair<std::string, std::string>*> sorted(const StringPairs& in) {
  std::vector<const std::pair<std::string, std::string>*> out;
  for (const auto& p : in) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->first < b->first; });
  return out;
}

struct Group {
  std::string device, proto;
  std::vector<std::string> addresses;  // insertion order, unique
};

void add_unique(Group& g, std::string_view a) {
  if (a.empty()) return;
  if (std::find(g.addresses.begin(), g.addresses.end(), a) == g.addresses.end()) {
    g.addresses.emplace_back(a);
  }
}

Group& group_for(std::vector<Group>& groups, std::string_view dev, std::string_view proto) {
  for (Group& g : groups) {
    if (g.device == dev && g.proto == proto) return g;
  }
  groups.push_back(Group{std::string(dev), std::string(proto), {}});
  return groups.back();
}

}  // namespace

StringPairs normalize_vm_networks(const StringPairs& networks) {
  // Groups keep first-seen order of devices, then protocols, like XO's nested Maps.
  std::vector<Group> groups;
  for (const auto* p : sorted(networks)) {
    std::string_view address = trim(p->second);
    Key k = parse_key(p->first);
    if (address.empty() || !k.ok) continue;
    if (k.proto == "ip") {
      Group& g = group_for(groups, k.device, "ipv4");
      size_t i = 0;
      while (i < address.size()) {  // whitespace-separated list
        size_t j = i;
        while (j < address.size() && !std::isspace(static_cast<unsigned char>(address[j]))) ++j;
        add_unique(g, address.substr(i, j - i));
        while (j < address.size() && std::isspace(static_cast<unsigned char>(address[j]))) ++j;
        i = j;
      }
    } else {
      add_unique(group_for(groups, k.device, k.proto), address);
    }
  }
  // XO iterates devices in Map insertion order, protocols within each device likewise.
  StringPairs out;
  std::vector<std::string> devices;
  for (const Group& g : groups) {
    if (std::find(devices.begin(), devices.end(), g.device) == devices.end()) {
      devices.push_back(g.device);
    }
  }
  for (const std::string& dev : devices) {
    for (const Group& g : groups) {
      if (g.device != dev) continue;
      for (size_t i = 0; i < g.addresses.size(); ++i) {
        out.emplace_back(dev + "/" + g.proto + "/" + std::to_string(i), g.addresses[i]);
      }
    }
  }
  return out;
}

std::string main_ip_address(const StringPairs& networks) {
  const std::string* ipv6 = nullptr;
  for (const auto* p : sorted(networks)) {
    Key k = parse_key(p->first);
    if (!k.ok) continue;
    std::string_view rest = std::string_view(p->first).substr(k.device.size() + 1);
    bool v4 = k.proto == "ip" || (k.proto == "ipv4" && all_digits(rest.substr(5)));
    if (v4) return p->second;
    if (!ipv6 && k.proto == "ipv6" && all_digits(rest.substr(5))) ipv6 = &p->second;
  }
  return ipv6 ? *ipv6 : std::string();
}

}  // namespace xr::xo

// network, PIF and VIF objects (reference §c.7, §c.8).
#include <rapidjson/document.h>

#include <cstdlib>
#include <string>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  for (std::string_view e : v) {
    if (e == s) return true;
  }
  return false;
}

}  // namespace

Coll map_vif(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.strings("allowedIpv4Addresses", r.get("ipv4_allowed"));
  o.strings("allowedIpv6Addresses", r.get("ipv6_allowed"));
  o.boolean("attached", r.boolean("currently_attached"));
  o.str("device", r.str("device"));
  o.str("lockingMode", r.str("locking_mode"));
  o.str("MAC", r.str("MAC"));
  o.num("MTU", r.num_or("MTU"));
  o.map("other_config", r.get("other_config"));
  std::string_view tx = r.map_str("other_config", "ethtool-tx");
  o.boolean("txChecksumming", !(tx == "false" || tx == "off"));
  if (r.str("qos_algorithm_type") == "ratelimit" && r.map_has("qos_algorithm_params", "kbps")) {
    o.num("rateLimit", std::atof(std::string(r.map_str("qos_algorithm_params", "kbps")).c_str()));
  }
  link_if(o, "$network", r, "network", c);
  link_if(o, "$VM", r, "VM", c);
  add_generic(o, c, c.self.uuid(), "VIF");
  return Coll::kVifs;
}

Coll map_network_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("automatic", r.map_str("other_config", "automatic") == "true");
  o.str("bridge", r.str("bridge"));
  o.map("current_operations", r.get("current_operations"));
  o.boolean("defaultIsLocked", r.str("default_locking_mode") == "disabled");
  o.num("MTU", r.num_or("MTU"));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  o.map("other_config", r.get("other_config"));
  o.strings("tags", r.get("tags"));
  o.value("PIFs", links(r, "PIFs", c, o));
  o.value("VIFs", links(r, "VIFs", c, o));
  if (r.get("purpose")) {
    auto purpose = r.strings("purpose");
    o.boolean("nbd", contains(purpose, "nbd"));
    o.boolean("insecureNbd", contains(purpose, "insecure_nbd"));
  }
  add_generic(o, c, c.self.uuid(), "network");
  return Coll::kNetworks;
}

void add_network_derived(const MapCtx& c, JsonOut& o) {
  const auto& net = *data_as<NetworkData>(c.self.data);
  bool bonded = false;
  for (Handle ref : net.pifs) {
    const auto* pif = c.st.data<PifData>(ref);
    bonded = bonded || (pif && !pif->bond_master_of.empty());
  }
  o.boolean("isBonded", bonded);
}

Coll map_pif_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("attached", r.boolean("currently_attached"));
  o.boolean("isBondMaster", !r.strings("bond_master_of").empty());
  o.boolean("isBondSlave", !r.ref("bond_slave_of").empty());
  o.str("device", r.str("device"));
  o.str("dns", r.str("DNS"));
  o.boolean("disallowUnplug", r.boolean("disallow_unplug"));
  o.str("gateway", r.str("gateway"));
  o.str("ip", r.str("IP"));
  o.strings("ipv6", r.get("IPv6"));
  o.str("mac", r.str("MAC"));
  o.boolean("management", r.boolean("management"));
  o.str("mode", r.str("ip_configuration_mode"));
  o.str("ipv6Mode", r.str("ipv6_configuration_mode"));
  o.num("mtu", r.num_or("MTU"));
  o.str("netmask", r.str("netmask"));
  o.boolean("physical", r.boolean("physical"));
  o.str("primaryAddressType", r.str("primary_address_type"));
  o.num("vlan", r.num_or("VLAN", -1));
  link_if(o, "$host", r, "host", c);
  link_if(o, "$network", r, "network", c);
  add_generic(o, c, c.self.uuid(), "PIF");
  return Coll::kPifs;
}

void add_pif_derived(const MapCtx& c, JsonOut& o) {
  const auto& pif = *data_as<PifData>(c.self.data);
  const auto* m = c.st.data<PifMetricsData>(pif.metrics);
  if (m) o.str("deviceName", m->device_name);
  o.boolean("carrier", m && m->carrier);
  if (m && m->speed) o.num("speed", double(*m->speed));
  if (const auto* bond = c.st.data<BondData>(pif.bond_slave_of)) {
    std::string master = c.st.uuid_of(bond->master);
    if (!master.empty()) o.str("bondMaster", master);
  }
  if (!pif.bond_master_of.empty()) {
    if (const auto* bond = c.st.data<BondData>(pif.bond_master_of.front())) {
      rapidjson::Value slaves(rapidjson::kArrayType);
      for (Handle s : bond->slaves) {
        std::string u = c.st.uuid_of(s);
        if (!u.empty()) slaves.PushBack(o.make_str(u), o.alloc());
      }
      o.value("bondSlaves", std::move(slaves));
    }
  }
}

}  // namespace xr::xo

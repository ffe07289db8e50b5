// SR, PBD, VDI and VBD objects (reference §c.4–c.6, §c.12 for PBD).
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <unordered_set>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

struct Alloc2 {
  std::string_view type, strategy;
};
constexpr Alloc2 kAllocation[] = {
    {"ext", "thin"},     {"file", "thin"},       {"hba", "thick"},      {"iscsi", "thick"},
    {"lvhd", "thick"},   {"lvhdofcoe", "thick"}, {"lvhdohba", "thick"}, {"lvhdoiscsi", "thick"},
    {"lvm", "thick"},    {"lvmofcoe", "thick"},  {"lvmohba", "thick"},  {"lvmoiscsi", "thick"},
    {"nfs", "thin"},     {"ocfs", "thick"},      {"ocfsohba", "thick"}, {"ocfsoiscsi", "thick"},
    {"rawhba", "thick"}, {"rawiscsi", "thick"},  {"shm", "thin"},       {"smb", "thin"},
    {"udev", "thick"},   {"xosan", "thin"},      {"zfs", "thin"},
};

bool is_sensitive(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return k.find("password") != std::string::npos || k.find("secret") != std::string::npos;
}

}  // namespace

Coll map_sr_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  std::string_view type = r.str("type");
  o.str("content_type", r.str("content_type"));
  o.num("physical_usage", r.num_or("physical_utilisation"));
  for (const Alloc2& a : kAllocation) {
    if (a.type == type) o.str("allocationStrategy", a.strategy);
  }
  o.map("current_operations", r.get("current_operations"));
  o.boolean("inMaintenanceMode", r.map_has("other_config", "xo:maintenanceState"));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  o.num("size", r.num_or("physical_size"));
  o.boolean("shared", r.boolean("shared"));
  o.str("SR_type", type);
  o.strings("tags", r.get("tags"));
  o.num("usage", r.num_or("virtual_allocation"));
  o.value("VDIs", links(r, "VDIs", c, o));
  o.map("other_config", r.get("other_config"));
  o.map("sm_config", r.get("sm_config"));
  o.value("$PBDs", links(r, "PBDs", c, o));
  add_generic(o, c, c.self.uuid(), "SR");
  return Coll::kSrs;
}

void add_sr_derived(const MapCtx& c, JsonOut& o) {
  const auto& sr = *data_as<SrData>(c.self.data);
  const auto* pbd = sr.pbds.empty() ? nullptr : c.st.data<PbdData>(sr.pbds.front());
  std::string container = c.st.pool_uuid;
  if (!sr.shared && pbd) {
    std::string host = c.st.uuid_of(pbd->host);
    if (!host.empty()) container = std::move(host);
  }
  o.str("$container", container);
  if (sr.type == "linstor") {
    o.str("allocationStrategy",
          pbd && !pbd->provisioning.empty() ? std::string_view(pbd->provisioning) : "unknown");
  }
}

Coll map_pbd(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("attached", r.boolean("currently_attached"));
  link_if(o, "host", r, "host", c);
  link_if(o, "SR", r, "SR", c);
  Value dc(rapidjson::kObjectType);
  for (auto [k, v] : r.pairs("device_config")) {
    dc.AddMember(o.make_str(k), is_sensitive(k) ? o.make_str("* obfuscated *") : o.make_str(v),
                 o.alloc());
  }
  o.value("device_config", std::move(dc));
  o.map("otherConfig", r.get("other_config"));
  add_generic(o, c, c.self.uuid(), "PBD");
  return Coll::kPbds;
}

Coll map_vdi_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("missing", r.boolean("missing"));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  if (r.map_has("sm_config", "vhd-parent")) o.str("parent", r.map_str("sm_config", "vhd-parent"));
  if (r.map_has("sm_config", "image-format")) {
    o.str("image_format", r.map_str("sm_config", "image-format"));
  }
  o.num("size", r.num_or("virtual_size"));
  o.value("snapshots", links(r, "snapshots", c, o));
  o.strings("tags", r.get("tags"));
  o.num("usage", r.num_or("physical_utilisation"));
  o.str("VDI_type", r.str("type"));
  o.map("current_operations", r.get("current_operations"));
  o.map("other_config", r.get("other_config"));
  if (r.get("cbt_enabled")) o.boolean("cbt_enabled", r.boolean("cbt_enabled"));
  link_if(o, "$SR", r, "SR", c);
  o.value("$VBDs", links(r, "VBDs", c, o));
  const auto& vdi = *data_as<VdiData>(c.self.data);
  if (vdi.is_snapshot) {
    o.num_or_null("snapshot_time", parse_xapi_time(r.str("snapshot_time")));
    link_if(o, "$snapshot_of", r, "snapshot_of", c);
    add_generic(o, c, c.self.uuid(), "VDI-snapshot");
    return Coll::kVdiSnapshots;
  }
  if (!vdi.managed) {
    add_generic(o, c, c.self.uuid(), "VDI-unmanaged");
    return Coll::kVdiUnmanaged;
  }
  add_generic(o, c, c.self.uuid(), "VDI");
  return Coll::kVdis;
}

// Own usage plus every vhd-parent ancestor's (by uuid), cycle-safe.
void add_vdi_derived(const MapCtx& c, JsonOut& o) {
  const auto& vdi = *data_as<VdiData>(c.self.data);
  if (vdi.is_snapshot || !vdi.managed) return;
  double total = double(vdi.usage);
  std::unordered_set<std::string> seen{c.self.uuid()};
  std::string_view parent = vdi.parent_uuid;
  while (!parent.empty() && seen.insert(std::string(parent)).second) {
    const auto* p = c.st.data<VdiData>(c.st.handle_of_uuid(parent));
    if (!p) break;
    total += double(p->usage);
    parent = p->parent_uuid;
  }
  o.num("chainPhysicalUsage", total);
}

Coll map_vbd(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("attached", r.boolean("currently_attached"));
  o.boolean("bootable", r.boolean("bootable"));
  std::string_view device = r.str("device");
  if (device.empty()) {
    o.null("device");
  } else {
    o.str("device", device);
  }
  o.boolean("is_cd_drive", r.str("type") == "CD");
  o.str("position", r.str("userdevice"));
  o.boolean("read_only", r.str("mode") == "RO");
  link_if(o, "VDI", r, "VDI", c);
  link_if(o, "VM", r, "VM", c);
  add_generic(o, c, c.self.uuid(), "VBD");
  return Coll::kVbds;
}

}  // namespace xr::xo

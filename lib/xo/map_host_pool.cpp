// host and pool objects (reference §c.2, §c.3).
#include <rapidjson/document.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

// other_config times are Unix seconds as text; XAPI datetimes are accepted too.
std::optional<double> seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  std::string s(text);
  double v = std::strtod(s.c_str(), &end);
  if (end && *end == '\0') return v;
  return parse_xapi_time(text);
}

Value cpus(const Rec& r, JsonOut& o) {
  Value out(rapidjson::kObjectType);
  if (r.map_has("cpu_info", "cpu_count")) {
    out.AddMember("cores",
                  o.make_num(std::atof(std::string(r.map_str("cpu_info", "cpu_count")).c_str())),
                  o.alloc());
  }
  if (r.map_has("cpu_info", "socket_count")) {
    out.AddMember("sockets",
                  o.make_num(std::atof(std::string(r.map_str("cpu_info", "socket_count")).c_str())),
                  o.alloc());
  }
  return out;
}

Value supplemental_packs(const Rec& r, JsonOut& o) {
  Value out(rapidjson::kArrayType);
  if (r.map_str("software_version", "product_brand") != "XCP-ng") return out;  // update system
  for (auto [key, value] : r.pairs("software_version")) {
    size_t colon = key.find(':');
    if (colon == std::string_view::npos || key.find(':', colon + 1) != std::string_view::npos) {
      continue;
    }
    size_t comma = value.find(", ");
    std::string_view description = value.substr(0, comma);
    std::string_view version;
    if (comma != std::string_view::npos) {
      std::string_view rest = value.substr(comma + 2);
      size_t sp = rest.find(' ');
      if (sp != std::string_view::npos)
        version = rest.substr(sp + 1, rest.find(' ', sp + 1) - sp - 1);
    }
    Value p(rapidjson::kObjectType);
    p.AddMember("name", o.make_str(key.substr(colon + 1)), o.alloc());
    p.AddMember("description", o.make_str(description), o.alloc());
    p.AddMember("author", o.make_str(key.substr(0, colon)), o.alloc());
    p.AddMember("version", o.make_str(version), o.alloc());
    out.PushBack(p, o.alloc());
  }
  return out;
}

bool reboot_required(const Rec& r) {
  if (r.map_str("software_version", "product_brand") == "XCP-ng") {
    auto boot = seconds(r.map_str("other_config", "boot_time"));
    auto rpm = seconds(r.map_str("other_config", "rpm_patch_installation_time"));
    return boot && rpm && *boot < *rpm;
  }
  return !r.strings("updates_requiring_reboot").empty();
}

void host_links(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.value("PIFs", links(r, "PIFs", c, o));
  o.value("$PIFs", links(r, "PIFs", c, o));
  o.value("PCIs", links(r, "PCIs", c, o));
  o.value("$PCIs", links(r, "PCIs", c, o));
  o.value("PGPUs", links(r, "PGPUs", c, o));
  o.value("$PGPUs", links(r, "PGPUs", c, o));
  o.value("$PBDs", links(r, "PBDs", c, o));
  o.value("patches", links(r, "patches", c, o));
  o.value("residentVms", links(r, "resident_VMs", c, o));
  link_if(o, "controlDomain", r, "control_domain", c);
}

}  // namespace

Coll map_host_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  auto oc = [&](std::string_view k) { return r.map_str("other_config", k); };
  o.map("CPUs", r.get("cpu_info"));
  o.str("address", r.str("address"));
  o.map("bios_strings", r.get("bios_strings"));
  o.str("build", r.map_str("software_version", "build_number"));
  Value chipset(rapidjson::kObjectType);
  if (r.map_has("chipset_info", "iommu")) {
    chipset.AddMember("iommu", Value(r.map_str("chipset_info", "iommu") == "true"), o.alloc());
  }
  o.value("chipset_info", std::move(chipset));
  o.boolean("enabled", r.boolean("enabled"));
  o.value("cpus", cpus(r, o));
  o.map("current_operations", r.get("current_operations"));
  o.str("hostname", r.str("hostname"));
  o.str("iscsiIqn", r.get("iscsi_iqn") ? r.str("iscsi_iqn") : oc("iscsi_iqn"));
  o.boolean("zstdSupported", r.map_str("license_params", "restrict_zstd_export") == "false");
  o.map("license_params", r.get("license_params"));
  o.map("license_server", r.get("license_server"));
  o.num_or_null("license_expiry", parse_xapi_time(r.map_str("license_params", "expiry")));
  o.map("logging", r.get("logging"));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  o.boolean("multipathing", oc("multipathing") == "true");
  o.map("otherConfig", r.get("other_config"));
  o.str("powerOnMode", r.str("power_on_mode"));
  o.num_or_null("startTime", seconds(oc("boot_time")));
  o.value("supplementalPacks", supplemental_packs(r, o));
  o.num_or_null("agentStartTime", seconds(oc("agent_start_time")));
  o.boolean("rebootRequired", reboot_required(r));
  o.strings("tags", r.get("tags"));
  o.str("version", r.map_str("software_version", "product_version"));
  o.str("productBrand", r.map_str("software_version", "product_brand"));
  bool hvm = false;
  for (std::string_view cap : r.strings("capabilities")) hvm = hvm || cap.starts_with("hvm");
  o.boolean("hvmCapable", hvm);
  host_links(r, c, o);
  add_generic(o, c, c.self.uuid(), "host");
  return Coll::kHosts;
}

void add_host_derived(const MapCtx& c, JsonOut& o) {
  const auto& host = *data_as<HostData>(c.self.data);
  const auto* m = c.st.data<HostMetricsData>(host.metrics);
  Value mem(rapidjson::kObjectType);
  if (m) {
    constexpr double kGiB = 1024.0 * 1024 * 1024;
    double total = std::ceil(double(m->total) / kGiB) * kGiB;
    mem.AddMember("usage", o.make_num(total - double(m->free)), o.alloc());
    mem.AddMember("size", o.make_num(total), o.alloc());
  } else {
    mem.AddMember("usage", 0, o.alloc());
    mem.AddMember("size", 0, o.alloc());
    mem.AddMember("total", 0, o.alloc());
  }
  o.value("memory", std::move(mem));
  o.str("power_state", !m ? "Unknown" : (m->live ? "Running" : "Halted"));
  if (!host.certificates.empty()) {
    Value certs(rapidjson::kArrayType);
    for (Handle ref : host.certificates) {
      const auto* cert = c.st.data<CertData>(ref);
      if (!cert) continue;
      Value cv(rapidjson::kObjectType);
      cv.AddMember("fingerprint", o.make_str(cert->fingerprint), o.alloc());
      cv.AddMember("notAfter", cert->not_after ? o.make_num(*cert->not_after) : Value(), o.alloc());
      certs.PushBack(cv, o.alloc());
    }
    o.value("certificates", std::move(certs));
  }
}

Coll map_pool_base(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("auto_poweron", r.map_str("other_config", "auto_poweron") == "true");
  link_if(o, "crashDumpSr", r, "crash_dump_SR", c);
  o.map("current_operations", r.get("current_operations"));
  link_if(o, "default_SR", r, "default_SR", c);
  o.boolean("HA_enabled", r.boolean("ha_enabled"));
  o.boolean("haRebootVmOnInternalShutdown", r.boolean("ha_reboot_vm_on_internal_shutdown"));
  link_if(o, "master", r, "master", c);
  o.strings("tags", r.get("tags"));
  o.str("name_description", r.str("name_description"));
  o.map("otherConfig", r.get("other_config"));
  o.value("cpus", cpus(r, o));
  link_if(o, "suspendSr", r, "suspend_image_SR", c);
  o.boolean("zstdSupported", r.map_str("restrictions", "restrict_zstd_export") == "false");
  o.boolean("vtpmSupported", r.map_str("restrictions", "restrict_vtpm") == "false");
  if (auto mc = r.opt_bool("migration_compression")) o.boolean("migrationCompression", *mc);
  add_generic(o, c, c.self.uuid(), "pool");
  return Coll::kPools;
}

void add_pool_derived(const MapCtx& c, JsonOut& o) {
  const auto& pool = *data_as<PoolData>(c.self.data);
  const auto* master = c.st.data<HostData>(pool.master);
  o.str("name_label", !pool.name_label.empty() ? std::string_view(pool.name_label)
                      : master                 ? std::string_view(master->name_label)
                                               : std::string_view{});
  o.str("platform_version", master ? std::string_view(master->platform_version) : "");
  Value srs(rapidjson::kArrayType);
  for (Handle vdi_ref : pool.ha_statefiles) {
    const auto* vdi = c.st.data<VdiData>(vdi_ref);
    if (vdi) srs.PushBack(o.make_str(c.st.uuid_of(vdi->sr)), o.alloc());
  }
  o.value("haSrs", std::move(srs));
}

}  // namespace xr::xo

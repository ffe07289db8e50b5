// The generic tail of every object, message/alarm, SM, PCI, PGPU objects, and the
// per-class extraction of compact inputs (index_record).
#include <rapidjson/document.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

bool is_alarm_name(std::string_view name) {
  return name == "ALARM" || name == "BOND_STATUS_CHANGED" || name == "MULTIPATH_PERIODIC_ALERT";
}

void skip_ws(std::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
}

bool eat(std::string_view& s, std::string_view lit) {
  if (!s.starts_with(lit)) return false;
  s.remove_prefix(lit.size());
  return true;
}

// XO's ALARM_BODY_REGEX: "value: <num>\nconfig:\n<variable>\n<name value=\"<name>\"".
bool parse_alarm_body(std::string_view s, std::string_view* value, std::string_view* name) {
  if (!eat(s, "value:")) return false;
  skip_ws(s);
  size_t n = 0;
  for (std::string_view special : {"Infinity", "NaN", "-Infinity"}) {
    if (s.starts_with(special)) n = special.size();
  }
  if (n == 0) {
    while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    if (n == 0) return false;
    if (n + 1 < s.size() && s[n] == '.' && std::isdigit(static_cast<unsigned char>(s[n + 1]))) {
      ++n;
      while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
    }
  }
  *value = s.substr(0, n);
  s.remove_prefix(n);
  skip_ws(s);
  if (!eat(s, "config:")) return false;
  skip_ws(s);
  if (!eat(s, "<variable>")) return false;
  skip_ws(s);
  if (!eat(s, "<name value=\"")) return false;
  size_t q = s.find('"');
  if (q == std::string_view::npos) return false;
  *name = s.substr(0, q);
  return true;
}

Value alarm_body(std::string_view body, JsonOut& o) {
  Value out(rapidjson::kObjectType);
  std::string_view value, name;
  if (parse_alarm_body(body, &value, &name)) {
    if (value == "NaN" || value == "Infinity" || value == "-Infinity") {
      out.AddMember("value", o.make_str(value), o.alloc());
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f", std::atof(std::string(value).c_str()) * 100);
      out.AddMember("value", o.make_str(buf), o.alloc());
    }
    out.AddMember("name", o.make_str(name), o.alloc());
  } else {
    out.AddMember("name", o.make_str(body), o.alloc());
  }
  return out;
}

Value alarm_object(std::string_view uuid, const ModelState& st, JsonOut& o) {
  Value out(rapidjson::kObjectType);
  const Obj* target = st.get(st.handle_of_uuid(uuid));
  std::string_view type = target ? xo_type_of(*target) : std::string_view{};
  if (type.empty()) type = "unknown";
  out.AddMember("type", o.make_str(type), o.alloc());
  out.AddMember("uuid", o.make_str(uuid), o.alloc());
  if (type != "unknown") {
    std::string href = "/rest/v0/";
    for (char ch : type) href += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    href += "s/" + std::string(uuid);
    out.AddMember("href", o.make_str(href), o.alloc());
  }
  return out;
}

}  // namespace

rapidjson::Value links(const Rec& r, std::string_view field, const MapCtx& c, JsonOut& o) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (std::string_view ref : r.strings(field)) {
    std::string u = c.st.uuid_of(ref);
    if (!u.empty()) out.PushBack(o.make_str(u), o.alloc());
  }
  return out;
}

void link_if(JsonOut& o, const char* key, const Rec& r, std::string_view field, const MapCtx& c) {
  std::string u = c.st.uuid_of(r.ref(field));
  if (!u.empty()) o.str(key, u);
}

void add_generic(JsonOut& o, const MapCtx& c, std::string_view id, std::string_view type) {
  o.str("id", id);
  o.str("type", type);
  o.str("uuid", c.self.uuid());
  o.str("$pool", c.st.pool_uuid);
  o.str("$poolId", c.st.pool_uuid);
  o.str("_xapiRef", c.ref);
}

Coll map_message(const Rec& r, const MapCtx& c, JsonOut& o) {
  std::string_view name = r.str("name");
  auto time = parse_xapi_time(r.str("timestamp"));
  if (!is_alarm_name(name)) {
    o.str("body", r.str("body"));
    o.str("name", name);
    o.num_or_null("time", time);
    o.str("$object", r.str("obj_uuid"));
    add_generic(o, c, c.self.uuid(), "message");
    return Coll::kMessages;
  }
  o.str("name", name);
  o.num("time", time.value_or(0) * 1000);
  o.value("body", alarm_body(r.str("body"), o));
  o.value("object", alarm_object(r.str("obj_uuid"), c.st, o));
  add_generic(o, c, c.self.uuid(), "message");
  return Coll::kAlarms;
}

Coll map_sm(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.str("SM_type", r.str("type"));
  o.str("vendor", r.str("vendor"));
  o.str("name_label", r.str("name_label"));
  o.str("name_description", r.str("name_description"));
  o.map("configuration", r.get("configuration"));
  Value features(rapidjson::kObjectType);
  if (const xapi::Value* f = r.get("features"); f && f->is_struct()) {
    for (const xapi::Member& m : **f->as_struct()) {
      auto n = m.value.as_int();
      features.AddMember(o.make_str(m.name), o.make_num(n.is_ok() ? double(*n) : 0), o.alloc());
    }
  }
  o.value("features", std::move(features));
  o.str("driver_filename", r.str("driver_filename"));
  o.strings("required_cluster_stack", r.get("required_cluster_stack"));
  o.strings("supported_image_formats", r.get("supported_image_formats"));
  add_generic(o, c, c.self.uuid(), "SM");
  return Coll::kSms;
}

Coll map_pci(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.str("class_name", r.str("class_name"));
  o.str("device_name", r.str("device_name"));
  o.str("pci_id", r.str("pci_id"));
  link_if(o, "$host", r, "host", c);
  add_generic(o, c, c.self.uuid(), "PCI");
  return Coll::kPcis;
}

Coll map_pgpu(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.str("dom0Access", r.str("dom0_access"));
  o.value("enabledVgpuTypes", links(r, "enabled_VGPU_types", c, o));
  link_if(o, "gpuGroup", r, "GPU_group", c);
  o.boolean("isSystemDisplayDevice", r.boolean("is_system_display_device"));
  link_if(o, "pci", r, "PCI", c);
  o.value("supportedVgpuTypes", links(r, "supported_VGPU_types", c, o));
  link_if(o, "host", r, "host", c);
  link_if(o, "$host", r, "host", c);
  o.value("vgpus", links(r, "resident_VGPUs", c, o));
  o.value("$vgpus", links(r, "resident_VGPUs", c, o));
  add_generic(o, c, c.self.uuid(), "PGPU");
  return Coll::kPgpus;
}

// XO's `vgpu`, `vgpuType` and `gpuGroup` objects (xapi-object-to-xo: links are uuids, a
// null reference leaves its key out).
Coll map_vgpu(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("currentlyAttached", r.boolean("currently_attached"));
  o.str("device", r.str("device"));
  link_if(o, "gpuGroup", r, "GPU_group", c);
  o.map("otherConfig", r.get("other_config"));
  link_if(o, "resident_on", r, "resident_on", c);
  link_if(o, "vgpuType", r, "type", c);
  link_if(o, "vm", r, "VM", c);
  add_generic(o, c, c.self.uuid(), "vgpu");
  return Coll::kVgpus;
}

Coll map_vgpu_type(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.boolean("experimental", r.boolean("experimental"));
  o.num("framebufferSize", static_cast<double>(r.int_or("framebuffer_size")));
  o.value("gpuGroups", links(r, "enabled_on_GPU_groups", c, o));
  o.num("maxHeads", static_cast<double>(r.int_or("max_heads")));
  o.num("maxResolutionX", static_cast<double>(r.int_or("max_resolution_x")));
  o.num("maxResolutionY", static_cast<double>(r.int_or("max_resolution_y")));
  o.str("modelName", r.str("model_name"));
  o.value("pgpus", links(r, "enabled_on_PGPUs", c, o));
  o.str("vendorName", r.str("vendor_name"));
  o.value("vgpus", links(r, "VGPUs", c, o));
  add_generic(o, c, c.self.uuid(), "vgpuType");
  return Coll::kVgpuTypes;
}

Coll map_gpu_group(const Rec& r, const MapCtx& c, JsonOut& o) {
  o.str("allocation", r.str("allocation_algorithm"));
  o.value("enabledVgpuTypes", links(r, "enabled_VGPU_types", c, o));
  o.strings("gpuTypes", r.get("GPU_types"));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  o.map("otherConfig", r.get("other_config"));
  o.value("pgpus", links(r, "PGPUs", c, o));
  o.value("supportedVgpuTypes", links(r, "supported_VGPU_types", c, o));
  o.value("vgpus", links(r, "VGPUs", c, o));
  add_generic(o, c, c.self.uuid(), "gpuGroup");
  return Coll::kGpuGroups;
}

Coll map_vtpm(const Rec& r, const MapCtx& c, JsonOut& o) {
  link_if(o, "vm", r, "VM", c);
  add_generic(o, c, c.self.uuid(), "VTPM");
  return Coll::kVtpms;
}

namespace {

std::unique_ptr<GuestMetricsData> index_guest_metrics(const Rec& r) {
  auto p = std::make_unique<GuestMetricsData>();
  GuestMetricsData& gm = *p;
  gm.networks = pack_pairs(r.pairs("networks"));
  gm.os_version = pack_pairs(r.pairs("os_version"));
  gm.pv_version = pack_pairs(r.pairs("PV_drivers_version"));
  gm.pv_detected = r.opt_bool("PV_drivers_detected");
  gm.pv_up_to_date = r.boolean("PV_drivers_up_to_date");
  gm.static_ip_feature = r.map_str("other", "feature-static-ip-setting") == "1";
  gm.mem_used = r.map_str("memory", "used");
  gm.mem_total = r.map_str("memory", "total");
  return p;
}

ObjData index_storage(Cls cls, const Rec& r, const ModelState& st) {
  switch (cls) {
    case Cls::kSr:
      return make_data(SrData{r.boolean("shared"), std::string(r.str("type")),
                              handles(r, "PBDs", st), handles(r, "VDIs", st)});
    case Cls::kPbd:
      return make_data(PbdData{st.handle(r.ref("host")), st.handle(r.ref("SR")),
                               std::string(r.map_str("device_config", "provisioning"))});
    case Cls::kVdi:
      return make_data(VdiData{st.handle(r.ref("SR")),
                               std::string(r.map_str("sm_config", "vhd-parent")),
                               handles(r, "VBDs", st), r.int_or("physical_utilisation"),
                               r.boolean("is_a_snapshot"), r.opt_bool("managed").value_or(true)});
    case Cls::kVbd:
      return make_data(VbdData{st.handle(r.ref("VM")), st.handle(r.ref("VDI"))});
    default:
      return std::monostate{};
  }
}

ObjData index_network(Cls cls, const Rec& r, const ModelState& st) {
  switch (cls) {
    case Cls::kPif:
      return make_data(PifData{st.handle(r.ref("metrics")), st.handle(r.ref("network")),
                               st.handle(r.ref("bond_slave_of")),
                               handles(r, "bond_master_of", st)});
    case Cls::kPifMetrics: {
      PifMetricsData m{std::string(r.str("device_name")), r.boolean("carrier"), std::nullopt};
      if (r.get("speed")) m.speed = r.int_or("speed");
      return make_data(std::move(m));
    }
    case Cls::kBond:
      return make_data(BondData{st.handle(r.ref("master")), handles(r, "slaves", st)});
    case Cls::kNetwork:
      return make_data(NetworkData{handles(r, "PIFs", st)});
    default:
      return std::monostate{};
  }
}

}  // namespace

std::vector<Handle> handles(const Rec& r, std::string_view field, const ModelState& st) {
  std::vector<Handle> out;
  for (std::string_view ref : r.strings(field)) {
    Handle h = st.handle(ref);
    if (h != kNoHandle) out.push_back(h);
  }
  return out;
}

bool has_index(Cls cls) {
  switch (cls) {
    case Cls::kPool:
    case Cls::kHost:
    case Cls::kHostMetrics:
    case Cls::kVm:
    case Cls::kVmMetrics:
    case Cls::kVmGuestMetrics:
    case Cls::kCertificate:
    case Cls::kSr:
    case Cls::kPbd:
    case Cls::kVdi:
    case Cls::kVbd:
    case Cls::kPif:
    case Cls::kPifMetrics:
    case Cls::kBond:
    case Cls::kNetwork:
      return true;
    default:
      return false;
  }
}

std::span<const std::string_view> index_fields(Cls cls) {
  using F = std::string_view;
  static constexpr F kPool[] = {"master", "name_label", "ha_statefiles"};
  static constexpr F kHost[] = {"metrics", "name_label", "software_version", "certificates"};
  static constexpr F kHostMetrics[] = {"live", "memory_total", "memory_free"};
  static constexpr F kVm[] = {"power_state", "resident_on", "metrics", "guest_metrics", "VBDs",
                              "VCPUs_max", "VCPUs_at_startup", "memory_dynamic_min",
                              "memory_dynamic_max", "memory_static_min", "memory_static_max",
                              "is_control_domain", "is_a_snapshot", "is_a_template",
                              "is_default_template", "other_config", "platform",
                              "current_operations"};
  static constexpr F kVmMetrics[] = {"memory_actual", "VCPUs_number", "start_time", "install_time"};
  static constexpr F kGuestMetrics[] = {"networks", "os_version", "PV_drivers_version",
                                        "PV_drivers_detected", "PV_drivers_up_to_date", "other",
                                        "memory"};
  static constexpr F kCertificate[] = {"host", "fingerprint", "not_after"};
  static constexpr F kSr[] = {"shared", "type", "PBDs", "VDIs"};
  static constexpr F kPbd[] = {"host", "SR", "device_config"};
  static constexpr F kVdi[] = {"SR", "sm_config", "VBDs", "physical_utilisation", "is_a_snapshot", "managed"};
  static constexpr F kVbd[] = {"VM", "VDI"};
  static constexpr F kPif[] = {"metrics", "network", "bond_slave_of", "bond_master_of"};
  static constexpr F kPifMetrics[] = {"device_name", "carrier", "speed"};
  static constexpr F kBond[] = {"master", "slaves"};
  static constexpr F kNetwork[] = {"PIFs"};
  switch (cls) {
    case Cls::kPool: return kPool;
    case Cls::kHost: return kHost;
    case Cls::kHostMetrics: return kHostMetrics;
    case Cls::kVm: return kVm;
    case Cls::kVmMetrics: return kVmMetrics;
    case Cls::kVmGuestMetrics: return kGuestMetrics;
    case Cls::kCertificate: return kCertificate;
    case Cls::kSr: return kSr;
    case Cls::kPbd: return kPbd;
    case Cls::kVdi: return kVdi;
    case Cls::kVbd: return kVbd;
    case Cls::kPif: return kPif;
    case Cls::kPifMetrics: return kPifMetrics;
    case Cls::kBond: return kBond;
    case Cls::kNetwork: return kNetwork;
    default: return {};
  }
}

ObjData index_record(Cls cls, const Rec& r, const ModelState& st) {
  switch (cls) {
    case Cls::kPool:
      return make_data(PoolData{st.handle(r.ref("master")), std::string(r.str("name_label")),
                                handles(r, "ha_statefiles", st)});
    case Cls::kHost:
      return make_data(HostData{st.handle(r.ref("metrics")), std::string(r.str("name_label")),
                                std::string(r.map_str("software_version", "platform_version")),
                                handles(r, "certificates", st)});
    case Cls::kHostMetrics:
      return make_data(
          HostMetricsData{r.boolean("live"), r.int_or("memory_total"), r.int_or("memory_free")});
    case Cls::kVm:
      return index_vm(r, st);
    case Cls::kVmMetrics:
      return make_data(VmMetricsData{r.int_or("memory_actual"), r.int_or("VCPUs_number"),
                                     parse_xapi_time(r.str("start_time")),
                                     parse_xapi_time(r.str("install_time"))});
    case Cls::kVmGuestMetrics:
      return index_guest_metrics(r);
    case Cls::kCertificate:
      return make_data(CertData{st.handle(r.ref("host")), std::string(r.str("fingerprint")),
                                parse_xapi_time(r.str("not_after"))});
    case Cls::kSr:
    case Cls::kPbd:
    case Cls::kVdi:
    case Cls::kVbd:
      return index_storage(cls, r, st);
    case Cls::kPif:
    case Cls::kPifMetrics:
    case Cls::kBond:
    case Cls::kNetwork:
      return index_network(cls, r, st);
    default:
      return std::monostate{};
  }
}

}  // namespace xr::xo

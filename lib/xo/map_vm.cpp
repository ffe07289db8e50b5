// VM, VM-template, VM-snapshot and VM-controller objects (reference §c.1).
#include <rapidjson/document.h>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

std::string domain_type(const Rec& r) {
  std::string_view dt = r.str("domain_type");
  if (dt.empty() || dt == "unspecified") return r.str("HVM_boot_policy").empty() ? "pv" : "hvm";
  return std::string(dt);
}

void vm_platform_fields(const Rec& r, JsonOut& o, bool hvm) {
  auto platform = [&](std::string_view k) { return r.map_str("platform", k); };
  o.boolean("expNestedHvm", platform("exp-nested-hvm") == "true");
  o.boolean("isNestedVirtEnabled",
            platform("nested-virt") == "true" || platform("exp-nested-hvm") == "true");
  o.boolean("viridian", platform("viridian") == "true");
  o.boolean("needsVtpm", platform("vtpm") == "true");
  o.boolean("secureBoot", platform("secureboot") == "true");
  o.str_if("nicType", platform("nic_type"));
  if (hvm) {
    std::string_view vga = platform("vga");
    o.str("vga", vga.empty() ? "cirrus" : vga);
    std::string_view vram = platform("videoram");
    o.num("videoram", vram.empty() ? 4 : std::atof(std::string(vram).c_str()));
  }
  if (r.map_has("platform", "cores-per-socket")) {
    o.num("coresPerSocket", std::atof(std::string(platform("cores-per-socket")).c_str()));
  }
}

void vm_cpu_params(const Rec& r, JsonOut& o) {
  std::string cap(r.map_str("VCPUs_params", "cap"));
  std::string weight(r.map_str("VCPUs_params", "weight"));
  std::string_view mask = r.map_str("VCPUs_params", "mask");
  if (!cap.empty()) o.num("cpuCap", std::atof(cap.c_str()));
  if (!mask.empty()) {
    Value arr(rapidjson::kArrayType);
    size_t i = 0;
    while (i <= mask.size()) {
      size_t j = mask.find(',', i);
      if (j == std::string_view::npos) j = mask.size();
      arr.PushBack(o.make_num(std::atof(std::string(mask.substr(i, j - i)).c_str())), o.alloc());
      i = j + 1;
    }
    o.value("cpuMask", std::move(arr));
  }
  if (!weight.empty()) o.num("cpuWeight", std::atof(weight.c_str()));
}

void vm_other_config_fields(const Rec& r, JsonOut& o) {
  auto oc = [&](std::string_view k) { return r.map_str("other_config", k); };
  o.boolean("auto_poweron", oc("auto_poweron") == "true");
  Value creation = vm_creation(r, o);
  if (!creation.IsNull()) o.value("creation", std::move(creation));
  Value docker = vm_docker(r, o);
  if (!docker.IsNull()) o.value("docker", std::move(docker));
  o.str_if("notes", oc("xo:notes"));
  std::string_view rs = oc("xo:resource_set");
  if (!rs.empty()) {
    rapidjson::Document d;
    d.Parse(rs.data(), rs.size());
    if (!d.HasParseError()) o.value("resourceSet", Value(d, o.alloc()));
  }
  std::string_view pci = oc("pci");
  if (!pci.empty()) {  // "0/0000:03:00.0,0/0000:04:00.0" → the PCI addresses
    std::vector<std::string_view> ids;
    size_t i = 0;
    while (i <= pci.size()) {
      size_t j = pci.find(',', i);
      if (j == std::string_view::npos) j = pci.size();
      std::string_view item = pci.substr(i, j - i);
      size_t slash = item.find('/');
      ids.push_back(slash == std::string_view::npos ? item : item.substr(slash + 1));
      i = j + 1;
    }
    o.value("attachedPcis", o.make_strings(ids));
  }
  o.map("other", r.get("other_config"));
}

Coll vm_kind_fields(const Rec& r, const MapCtx& c, JsonOut& o, bool* pool_scoped,
                    std::string_view* type) {
  const auto& vm = *data_as<VmData>(c.self.data);
  if (vm.is_control) {
    *type = "VM-controller";
    return Coll::kVmControllers;
  }
  if (vm.is_snapshot) {
    *type = "VM-snapshot";
    o.num_or_null("snapshot_time", parse_xapi_time(r.str("snapshot_time")));
    link_if(o, "$snapshot_of", r, "snapshot_of", c);
    link_if(o, "suspendVdi", r, "suspend_VDI", c);
    return Coll::kVmSnapshots;
  }
  if (vm.is_template) {
    *type = "VM-template";
    *pool_scoped = vm.is_default_template;
    o.boolean("isDefaultTemplate", vm.is_default_template);
    o.value("template_info", template_info(r, o));
    return Coll::kVmTemplates;
  }
  *type = "VM";
  return Coll::kVms;
}

}  // namespace

std::unique_ptr<VmData> index_vm(const Rec& r, const ModelState& st) {
  auto p = std::make_unique<VmData>();
  VmData& vm = *p;
  vm.power_state = r.str("power_state");
  vm.resident_on = st.handle(r.ref("resident_on"));
  vm.metrics = st.handle(r.ref("metrics"));
  vm.guest_metrics = st.handle(r.ref("guest_metrics"));
  vm.vbds = handles(r, "VBDs", st);
  vm.vcpus_max = r.int_or("VCPUs_max");
  vm.vcpus_at_startup = r.int_or("VCPUs_at_startup");
  vm.dyn_min = r.int_or("memory_dynamic_min");
  vm.dyn_max = r.int_or("memory_dynamic_max");
  vm.st_min = r.int_or("memory_static_min");
  vm.st_max = r.int_or("memory_static_max");
  vm.is_control = r.boolean("is_control_domain");
  vm.is_snapshot = r.boolean("is_a_snapshot");
  vm.is_template = r.boolean("is_a_template");
  vm.is_default_template =
      r.boolean("is_default_template") || r.map_str("other_config", "default_template") == "true";
  vm.is_windows = r.map_str("platform", "device_id") == "0002";
  vm.current_ops = pack_pairs(r.pairs("current_operations"));
  return p;
}

Coll map_vm_base(const Rec& r, const MapCtx& c, JsonOut& o, bool* pool_scoped) {
  std::string dt = domain_type(r);
  bool hvm = dt == "hvm";
  link_if(o, "affinityHost", r, "affinity", c);
  o.map("bios_strings", r.get("bios_strings"));
  o.map("blockedOperations", r.get("blocked_operations"));
  o.map("boot", r.get("HVM_boot_params"));
  o.str("high_availability", r.str("ha_restart_priority"));
  o.boolean("isFirmwareSupported", is_firmware_supported(r.str("recommendations"),
                                                         r.map_str("HVM_boot_params", "firmware")));
  o.str("name_description", r.str("name_description"));
  o.str("name_label", r.str("name_label"));
  link_if(o, "parent", r, "parent", c);
  o.str("power_state", r.str("power_state"));
  o.boolean("hasVendorDevice", r.boolean("has_vendor_device"));
  o.value("snapshots", links(r, "snapshots", c, o));
  o.num("startDelay", static_cast<double>(r.int_or("start_delay")));
  link_if(o, "suspendSr", r, "suspend_SR", c);
  o.strings("tags", r.get("tags"));
  o.value("VIFs", links(r, "VIFs", c, o));
  o.value("VTPMs", links(r, "VTPMs", c, o));
  o.str("virtualizationMode", dt);
  o.value("$VBDs", links(r, "VBDs", c, o));
  o.value("VGPUs", links(r, "VGPUs", c, o));
  o.value("$VGPUs", links(r, "VGPUs", c, o));
  o.map("xenStoreData", r.get("xenstore_data"));
  vm_other_config_fields(r, o);
  vm_platform_fields(r, o, hvm);
  vm_cpu_params(r, o);
  if (!hvm) o.str("PV_args", r.str("PV_args"));
  std::string_view type;
  Coll coll = vm_kind_fields(r, c, o, pool_scoped, &type);
  add_generic(o, c, *pool_scoped ? c.st.pool_uuid + "-" + c.self.uuid() : c.self.uuid(), type);
  return coll;
}

}  // namespace xr::xo

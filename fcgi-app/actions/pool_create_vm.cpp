// pools create_vm: xo-server's createVm (template cloned or copied, provisioned, settings,
// install CD, disks, interfaces) and the REST API's extras (cloud-init config drive, boot).
// Runner job thread; blocks on XAPI.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "actions/config_drive.h"
#include "actions/pool_actions.h"
#include "actions/steps.h"

namespace xr::app::actions {

namespace {

using steps::is_true;
using steps::kNull;
using steps::str;
using xapi::Value;

Status bad(const std::string& field, const std::string& message) {
  return Status(ErrorKind::kInvalidParameters, "body." + field + ": " + message);
}

std::string member_string(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

bool member_bool(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

// vdis[] and vifs[] items are checked here (the params schema checks their type only):
// everything before the first XAPI call, so that a bad item starts nothing.
Status check_items(ActionRun& run) {
  if (const rapidjson::Value* vdis = steps::param(run, "vdis"); vdis != nullptr && vdis->IsArray()) {
    for (rapidjson::SizeType i = 0; i < vdis->Size(); ++i) {
      const auto& d = (*vdis)[i];
      const std::string at = "vdis[" + std::to_string(i) + "]";
      if (!d.IsObject()) return bad(at, "must be object");
      const bool has_dev = d.HasMember("userdevice") || d.HasMember("userdervice");
      if (member_bool(d, "destroy") && !has_dev) return bad(at, "destroy needs a userdevice");
      if (!has_dev && !member_bool(d, "destroy")) {
        if (!d.HasMember("size") || !d["size"].IsNumber() || d["size"].GetDouble() <= 0) {
          return bad(at + ".size", "must be a positive number");
        }
        if (member_string(d, "name_label").empty()) return bad(at + ".name_label", "must be a non-empty string");
      }
    }
  }
  if (const rapidjson::Value* vifs = steps::param(run, "vifs"); vifs != nullptr && vifs->IsArray()) {
    for (rapidjson::SizeType i = 0; i < vifs->Size(); ++i) {
      const auto& v = (*vifs)[i];
      const std::string at = "vifs[" + std::to_string(i) + "]";
      if (!v.IsObject()) return bad(at, "must be object");
      if (member_bool(v, "destroy") ? member_string(v, "device").empty() : member_string(v, "network").empty()) {
        return bad(at, member_bool(v, "destroy") ? "destroy needs a device" : "network is required");
      }
    }
  }
  // XO creates a vGPU only when both are given and ignores one alone: a client that sent one
  // meant a vGPU, so it is told instead.
  const bool group = !steps::param_string(run, "gpuGroup").empty();
  if (group != !steps::param_string(run, "vgpuType").empty()) {
    return bad(group ? "vgpuType" : "gpuGroup", group ? "is required with gpuGroup" : "is required with vgpuType");
  }
  if (const rapidjson::Value* in = steps::param(run, "install"); in != nullptr) {
    const std::string method = member_string(*in, "method");
    if (method != "cdrom" && method != "network") return bad("install.method", "must be cdrom or network");
    if (method == "cdrom" && member_string(*in, "repository").empty()) {
      return bad("install.repository", "the ISO's VDI id is required for a cdrom install");
    }
  }
  return Status::ok();
}

Value vbd_record(const std::string& vm, const std::string& vdi, const std::string& userdevice, bool bootable,
                 const char* type, const char* mode, bool empty) {
  Value r = Value::structure();
  r.add_member("VM", str(vm));
  r.add_member("VDI", str(vdi));
  r.add_member("userdevice", str(userdevice));
  r.add_member("bootable", Value::boolean(bootable));
  r.add_member("mode", str(mode));
  r.add_member("type", str(type));
  r.add_member("empty", Value::boolean(empty));
  r.add_member("unpluggable", Value::boolean(true));
  r.add_member("other_config", Value::structure());
  r.add_member("qos_algorithm_type", str(""));
  r.add_member("qos_algorithm_params", Value::structure());
  return r;
}

Result<std::string> create_disk(ActionRun& run, const std::string& sr, const std::string& name,
                                const std::string& description, int64_t size) {
  Value r = Value::structure();
  r.add_member("name_label", str(name));
  r.add_member("name_description", str(description));
  r.add_member("SR", str(sr));
  r.add_member("virtual_size", str(std::to_string(size)));
  r.add_member("type", str("user"));
  r.add_member("sharable", Value::boolean(false));
  r.add_member("read_only", Value::boolean(false));
  r.add_member("other_config", Value::structure());
  XR_ASSIGN_OR_RETURN(Value vdi, run.call_async("VDI.create", {r}));
  XR_ASSIGN_OR_RETURN(std::string_view ref, vdi.as_string());
  return std::string(ref);
}

// Everything after the clone; `vm` exists. Returns the new VM's uuid.
Status configure(ActionRun& run, const std::string& vm, std::vector<std::string>* created_vdis) {
  (void)run.call("VM.remove_from_other_config", {str(vm), str("disks")});
  XR_RETURN_IF_ERROR(run.call_async("VM.provision", {str(vm)}).status());
  if (const rapidjson::Value* d = steps::param(run, "name_description"); d != nullptr && d->IsString()) {
    XR_RETURN_IF_ERROR(run.call("VM.set_name_description", {str(vm), str(d->GetString())}).status());
  }
  if (std::string host = steps::param_string(run, "affinity"); !host.empty()) {
    XR_ASSIGN_OR_RETURN(std::string ref, steps::ref_of(run, "host", host));
    XR_RETURN_IF_ERROR(run.call("VM.set_affinity", {str(vm), str(ref)}).status());
  }
  if (const rapidjson::Value* m = steps::param(run, "memory"); m != nullptr && m->IsNumber()) {
    const int64_t mem = static_cast<int64_t>(m->GetDouble());
    XR_ASSIGN_OR_RETURN(Value smin_v, run.call("VM.get_memory_static_min", {str(vm)}));
    XR_ASSIGN_OR_RETURN(int64_t smin, smin_v.as_int());
    XR_RETURN_IF_ERROR(run.call("VM.set_memory_limits", {str(vm), str(std::to_string(std::min(smin, mem))),
                                                         str(std::to_string(mem)), str(std::to_string(mem)),
                                                         str(std::to_string(mem))})
                           .status());
  }
  if (const rapidjson::Value* c = steps::param(run, "cpus"); c != nullptr && c->IsNumber()) {
    const std::string n = std::to_string(static_cast<int64_t>(c->GetDouble()));
    XR_ASSIGN_OR_RETURN(Value cur_v, run.call("VM.get_VCPUs_max", {str(vm)}));
    XR_ASSIGN_OR_RETURN(int64_t cur, cur_v.as_int());
    // VCPUs_at_startup ≤ VCPUs_max at every step
    if (static_cast<int64_t>(c->GetDouble()) >= cur) {
      XR_RETURN_IF_ERROR(run.call("VM.set_VCPUs_max", {str(vm), str(n)}).status());
      XR_RETURN_IF_ERROR(run.call("VM.set_VCPUs_at_startup", {str(vm), str(n)}).status());
    } else {
      XR_RETURN_IF_ERROR(run.call("VM.set_VCPUs_at_startup", {str(vm), str(n)}).status());
      XR_RETURN_IF_ERROR(run.call("VM.set_VCPUs_max", {str(vm), str(n)}).status());
    }
  }
  if (steps::param_bool(run, "autoPoweron", false)) {
    (void)run.call("VM.remove_from_other_config", {str(vm), str("auto_poweron")});
    XR_RETURN_IF_ERROR(run.call("VM.add_to_other_config", {str(vm), str("auto_poweron"), str("true")}).status());
  }
  if (std::string fw = steps::param_string(run, "hvmBootFirmware"); !fw.empty()) {
    (void)run.call("VM.remove_from_HVM_boot_params", {str(vm), str("firmware")});
    XR_RETURN_IF_ERROR(run.call("VM.add_to_HVM_boot_params", {str(vm), str("firmware"), str(fw)}).status());
  }

  // XO's security and availability options (xo-server's createVm), while the VM is halted.
  if (steps::param_bool(run, "secureBoot", false)) {
    (void)run.call("VM.remove_from_platform", {str(vm), str("secureboot")});
    XR_RETURN_IF_ERROR(run.call("VM.add_to_platform", {str(vm), str("secureboot"), str("true")}).status());
  }
  if (const rapidjson::Value* ha = steps::param(run, "high_availability"); ha != nullptr && ha->IsString()) {
    XR_RETURN_IF_ERROR(run.call("VM.set_ha_restart_priority", {str(vm), str(ha->GetString())}).status());
  }
  if (steps::param_bool(run, "copyHostBiosStrings", false)) {
    // The host the VM is meant for (affinity), else the pool master.
    std::string host;
    if (std::string a = steps::param_string(run, "affinity"); !a.empty()) {
      XR_ASSIGN_OR_RETURN(host, steps::ref_of(run, "host", a));
    } else {
      XR_ASSIGN_OR_RETURN(std::string pool, steps::the_pool(run));
      XR_ASSIGN_OR_RETURN(host, steps::call_string(run, "pool.get_master", {str(pool)}));
    }
    XR_RETURN_IF_ERROR(run.call("VM.copy_bios_strings", {str(vm), str(host)}).status());
  }
  if (steps::param_bool(run, "createVtpm", false)) {
    XR_RETURN_IF_ERROR(run.call("VTPM.create", {str(vm), Value::boolean(false)}).status());
  }

  XR_ASSIGN_OR_RETURN(Value rec, steps::record(run, "VM", vm));
  const bool hvm = !std::string(rec.get_string("HVM_boot_policy")).empty();
  bool has_bootable = false;

  // install: boot order (HVM) or install-repository (PV), the ISO in the CD drive
  if (const rapidjson::Value* in = steps::param(run, "install"); in != nullptr) {
    const std::string method = member_string(*in, "method");
    const char first = method == "network" ? 'n' : 'd';
    if (hvm) {
      const Value* params = rec.get("HVM_boot_params");
      std::string order(params != nullptr ? params->get_string("order") : "");
      order.erase(std::remove(order.begin(), order.end(), first), order.end());
      order = std::string(1, first) + (order.empty() ? (first == 'n' ? "cd" : "cn") : order);
      (void)run.call("VM.remove_from_HVM_boot_params", {str(vm), str("order")});
      XR_RETURN_IF_ERROR(run.call("VM.add_to_HVM_boot_params", {str(vm), str("order"), str(order)}).status());
    } else if (rec.get_string("PV_bootloader") == "eliloader") {
      (void)run.call("VM.remove_from_other_config", {str(vm), str("install-repository")});
      XR_RETURN_IF_ERROR(run.call("VM.add_to_other_config", {str(vm), str("install-repository"),
                                                             str(method == "network" ? "network" : "cdrom")})
                             .status());
    }
    if (method == "cdrom") {
      XR_ASSIGN_OR_RETURN(std::string iso, steps::ref_of(run, "VDI", member_string(*in, "repository")));
      std::string cd;
      for (const std::string& vbd : steps::refs_in(rec, "VBDs")) {
        XR_ASSIGN_OR_RETURN(std::string type, steps::call_string(run, "VBD.get_type", {str(vbd)}));
        if (type == "CD") cd = vbd;
      }
      if (cd.empty()) {
        XR_RETURN_IF_ERROR(run.call("VBD.create", {vbd_record(vm, iso, "3", true, "CD", "RO", false)}).status());
      } else {
        XR_ASSIGN_OR_RETURN(Value empty, run.call("VBD.get_empty", {str(cd)}));
        XR_ASSIGN_OR_RETURN(bool is_empty, empty.as_bool());
        if (!is_empty) XR_RETURN_IF_ERROR(run.call_async("VBD.eject", {str(cd)}).status());
        XR_RETURN_IF_ERROR(run.call_async("VBD.insert", {str(cd), str(iso)}).status());
        XR_RETURN_IF_ERROR(run.call("VBD.set_bootable", {str(cd), Value::boolean(true)}).status());
      }
      has_bootable = true;
    }
  }

  // disks: destroy / update the template's (by userdevice), create the others
  if (const rapidjson::Value* vdis = steps::param(run, "vdis"); vdis != nullptr && vdis->IsArray()) {
    std::map<std::string, std::string> vdi_by_device;
    for (const std::string& vbd : steps::refs_in(rec, "VBDs")) {
      XR_ASSIGN_OR_RETURN(Value b, steps::record(run, "VBD", vbd));
      if (b.get_string("type") == "Disk") vdi_by_device[std::string(b.get_string("userdevice"))] = b.get_string("VDI");
      auto bootable = b.get("bootable") != nullptr ? b.get("bootable")->as_bool() : Result<bool>(false);
      has_bootable = has_bootable || (bootable.is_ok() && *bootable);
    }
    int created = 0;
    for (const auto& d : vdis->GetArray()) {
      std::string dev = member_string(d, "userdevice");
      if (dev.empty()) dev = member_string(d, "userdervice");  // XO's spelling in the destroy form
      auto existing = vdi_by_device.find(dev);
      if (!dev.empty() && existing != vdi_by_device.end() && existing->second != kNull) {
        const std::string vdi = existing->second;
        if (member_bool(d, "destroy")) {
          XR_RETURN_IF_ERROR(run.call_async("VDI.destroy", {str(vdi)}).status());
          continue;
        }
        if (std::string n = member_string(d, "name_label"); !n.empty()) {
          XR_RETURN_IF_ERROR(run.call("VDI.set_name_label", {str(vdi), str(n)}).status());
        }
        if (d.HasMember("size") && d["size"].IsNumber()) {
          XR_ASSIGN_OR_RETURN(Value cur_v, run.call("VDI.get_virtual_size", {str(vdi)}));
          XR_ASSIGN_OR_RETURN(int64_t cur, cur_v.as_int());
          const int64_t want = static_cast<int64_t>(d["size"].GetDouble());
          if (want > cur) XR_RETURN_IF_ERROR(run.call_async("VDI.resize", {str(vdi), str(std::to_string(want))}).status());
        }
        continue;
      }
      if (member_bool(d, "destroy")) {
        XR_RETURN_IF_ERROR(run.warning("VDI ignored because it is marked as \"destroy\"", "{}"));
        continue;
      }
      std::string sr;
      if (std::string id = member_string(d, "sr"); !id.empty()) {
        XR_ASSIGN_OR_RETURN(sr, steps::ref_of(run, "SR", id));
      } else {
        XR_ASSIGN_OR_RETURN(sr, steps::default_sr(run));
      }
      XR_ASSIGN_OR_RETURN(std::string vdi, create_disk(run, sr, member_string(d, "name_label"),
                                                       member_string(d, "name_description"),
                                                       static_cast<int64_t>(d["size"].GetDouble())));
      created_vdis->push_back(vdi);
      XR_RETURN_IF_ERROR(run.call("VBD.create", {vbd_record(vm, vdi, dev.empty() ? "autodetect" : dev,
                                                            !has_bootable && created == 0, "Disk", "RW", false)})
                             .status());
      ++created;
    }
  }

  // interfaces: destroy the template's by device, create the asked ones
  if (const rapidjson::Value* vifs = steps::param(run, "vifs"); vifs != nullptr && vifs->IsArray()) {
    std::set<std::string> used;
    std::map<std::string, std::string> vif_by_device;
    for (const std::string& vif : steps::refs_in(rec, "VIFs")) {
      XR_ASSIGN_OR_RETURN(std::string dev, steps::call_string(run, "VIF.get_device", {str(vif)}));
      vif_by_device[dev] = vif;
      used.insert(dev);
    }
    for (const auto& v : vifs->GetArray()) {
      const std::string dev = member_string(v, "device");
      if (member_bool(v, "destroy")) {
        auto it = vif_by_device.find(dev);
        if (it != vif_by_device.end()) {
          XR_RETURN_IF_ERROR(run.call_async("VIF.destroy", {str(it->second)}).status());
          used.erase(dev);
        }
        continue;
      }
      XR_ASSIGN_OR_RETURN(std::string net, steps::ref_of(run, "network", member_string(v, "network")));
      std::string device = dev;
      for (int i = 0; device.empty(); ++i) {
        if (!used.count(std::to_string(i))) device = std::to_string(i);
      }
      used.insert(device);
      Value r = Value::structure();
      r.add_member("VM", str(vm));
      r.add_member("network", str(net));
      r.add_member("device", str(device));
      r.add_member("MAC", str(member_string(v, "mac")));
      int64_t mtu = 0;
      if (v.HasMember("mtu") && v["mtu"].IsNumber()) {
        mtu = static_cast<int64_t>(v["mtu"].GetDouble());
      } else {
        XR_ASSIGN_OR_RETURN(Value m, run.call("network.get_MTU", {str(net)}));
        XR_ASSIGN_OR_RETURN(mtu, m.as_int());
      }
      r.add_member("MTU", str(std::to_string(mtu)));
      r.add_member("other_config", Value::structure());
      r.add_member("qos_algorithm_type", str(""));
      r.add_member("qos_algorithm_params", Value::structure());
      for (const char* key : {"ipv4_allowed", "ipv6_allowed"}) {
        Value list = Value::array();
        if (v.HasMember(key) && v[key].IsArray()) {
          for (const auto& ip : v[key].GetArray()) {
            if (ip.IsString()) list.mutable_array()->push_back(str(ip.GetString()));
          }
        }
        r.add_member(key, list);
      }
      XR_RETURN_IF_ERROR(run.call("VIF.create", {r}).status());
    }
  }

  // vGPU (xo-server's createVgpu): device "0" of the group, of the type asked
  if (std::string group = steps::param_string(run, "gpuGroup"); !group.empty()) {
    XR_ASSIGN_OR_RETURN(std::string group_ref, steps::ref_of(run, "GPU_group", group));
    XR_ASSIGN_OR_RETURN(std::string type_ref, steps::ref_of(run, "VGPU_type", steps::param_string(run, "vgpuType")));
    XR_RETURN_IF_ERROR(
        run.call("VGPU.create", {str(vm), str(group_ref), str("0"), Value::structure(), str(type_ref)}).status());
  }

  // cloud-init config drive on the SR of the VM's first disk (xo-server's createCloudInitConfig)
  if (const rapidjson::Value* cc = steps::param(run, "cloud_config"); cc != nullptr && cc->IsString()) {
    XR_ASSIGN_OR_RETURN(Value fresh, steps::record(run, "VM", vm));
    std::string sr;
    for (const std::string& vbd : steps::refs_in(fresh, "VBDs")) {
      XR_ASSIGN_OR_RETURN(Value b, steps::record(run, "VBD", vbd));
      if (b.get_string("type") != "CD" && b.get_string("VDI", kNull) != kNull) {
        XR_ASSIGN_OR_RETURN(sr, steps::call_string(run, "VDI.get_SR", {str(std::string(b.get_string("VDI")))}));
        break;
      }
    }
    if (sr.empty()) return Status(ErrorKind::kConflict, "can't create cloud init config drive for VM without disks");
    XR_ASSIGN_OR_RETURN(std::string uuid, steps::call_string(run, "VM.get_uuid", {str(vm)}));
    const Value* platform = fresh.get("platform");
    const bool windows = platform != nullptr && platform->get_string("viridian") == "true";
    std::string image = make_config_drive(uuid, cc->GetString(), steps::param_string(run, "network_config"), windows);
    XR_ASSIGN_OR_RETURN(std::string vdi, create_disk(run, sr, "XO CloudConfigDrive", "",
                                                     static_cast<int64_t>(image.size())));
    created_vdis->push_back(vdi);
    XR_RETURN_IF_ERROR(run.import_raw_vdi(vdi, std::move(image)));
    XR_RETURN_IF_ERROR(run.call("VBD.create", {vbd_record(vm, vdi, "autodetect", false, "Disk", "RW", false)}).status());
    XR_RETURN_IF_ERROR(run.info("cloud-init config drive created", "{}"));
  }

  if (steps::param_bool(run, "boot", false)) {
    XR_RETURN_IF_ERROR(run.call_async("VM.start", {str(vm), Value::boolean(false), Value::boolean(false)}).status());
    if (steps::param_bool(run, "destroy_cloud_config_vdi", false)) {
      XR_RETURN_IF_ERROR(run.warning("destroy_cloud_config_vdi is not supported: the config drive is kept", "{}"));
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::string> pool_create_vm(ActionRun& run) {
  XR_RETURN_IF_ERROR(check_items(run));
  XR_ASSIGN_OR_RETURN(std::string tpl, steps::ref_of(run, "VM", steps::param_string(run, "template")));
  const std::string name = steps::param_string(run, "name_label");
  Result<Value> made = steps::param_bool(run, "clone", true)
                           ? run.call_async("VM.clone", {str(tpl), str(name)})
                           : run.call_async("VM.copy", {str(tpl), str(name), str("")});
  if (!made.is_ok()) return made.status();
  XR_ASSIGN_OR_RETURN(std::string_view vm_ref, made->as_string());
  const std::string vm(vm_ref);
  std::vector<std::string> created_vdis;
  Status s = configure(run, vm, &created_vdis);
  if (!s.is_ok()) {  // as XO's $defer.onFailure (VM_destroy with its disks): nothing left behind
    std::set<std::string> disks(created_vdis.begin(), created_vdis.end());
    if (auto rec = steps::record(run, "VM", vm); rec.is_ok()) {
      for (const std::string& vbd : steps::refs_in(*rec, "VBDs")) {
        auto b = steps::record(run, "VBD", vbd);
        if (b.is_ok() && b->get_string("type") == "Disk" && b->get_string("VDI", kNull) != kNull) {
          disks.insert(std::string(b->get_string("VDI")));
        }
      }
    }
    (void)run.call_async("VM.hard_shutdown", {str(vm)});
    (void)run.call_async("VM.destroy", {str(vm)});
    for (const std::string& vdi : disks) (void)run.call_async("VDI.destroy", {str(vdi)});
    return s;
  }
  XR_ASSIGN_OR_RETURN(std::string uuid, steps::call_string(run, "VM.get_uuid", {str(vm)}));
  return "\"" + uuid + "\"";
}

}  // namespace xr::app::actions

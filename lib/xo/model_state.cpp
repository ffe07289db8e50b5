#include "xo/model_state.h"

namespace xr::xo {

const Obj* ModelState::find(std::string_view ref) const {
  if (ref.empty()) return nullptr;
  auto it = objs.find(ref);
  return it == objs.end() ? nullptr : &it->second;
}

Obj* ModelState::find(std::string_view ref) {
  if (ref.empty()) return nullptr;
  auto it = objs.find(ref);
  return it == objs.end() ? nullptr : &it->second;
}

std::string_view ModelState::uuid_of(std::string_view ref) const {
  const Obj* o = find(ref);
  return o ? std::string_view(o->uuid) : std::string_view{};
}

std::string_view ModelState::ref_of_uuid(std::string_view uuid) const {
  auto it = ref_by_uuid_.find(uuid);
  return it == ref_by_uuid_.end() ? std::string_view{} : std::string_view(it->second);
}

Obj& ModelState::upsert(const std::string& ref, Cls cls, std::string_view uuid) {
  Obj& o = objs[ref];
  o.cls = cls;
  if (o.uuid != uuid) {
    if (!o.uuid.empty()) ref_by_uuid_.erase(o.uuid);
    o.uuid = std::string(uuid);
    if (!o.uuid.empty()) ref_by_uuid_[o.uuid] = ref;
  }
  return o;
}

void ModelState::erase(std::string_view ref) {
  auto it = objs.find(ref);
  if (it == objs.end()) return;
  if (!it->second.uuid.empty()) {
    auto u = ref_by_uuid_.find(it->second.uuid);
    if (u != ref_by_uuid_.end() && u->second == ref) ref_by_uuid_.erase(u);
  }
  objs.erase(it);
}

std::string_view xo_type_of(const Obj& o) {
  switch (o.cls) {
    case Cls::kPool: return "pool";
    case Cls::kHost: return "host";
    case Cls::kSr: return "SR";
    case Cls::kPbd: return "PBD";
    case Cls::kVbd: return "VBD";
    case Cls::kVif: return "VIF";
    case Cls::kNetwork: return "network";
    case Cls::kPif: return "PIF";
    case Cls::kMessage: return "message";
    case Cls::kSm: return "SM";
    case Cls::kPci: return "PCI";
    case Cls::kPgpu: return "PGPU";
    case Cls::kVdi: {
      const auto* vdi = std::get_if<VdiData>(&o.data);
      if (vdi && vdi->is_snapshot) return "VDI-snapshot";
      if (vdi && !vdi->managed) return "VDI-unmanaged";
      return "VDI";
    }
    case Cls::kVm: {
      const auto* vm = std::get_if<VmData>(&o.data);
      if (!vm) return "VM";
      if (vm->is_control) return "VM-controller";
      if (vm->is_snapshot) return "VM-snapshot";
      if (vm->is_template) return "VM-template";
      return "VM";
    }
    default: return "";
  }
}

}  // namespace xr::xo

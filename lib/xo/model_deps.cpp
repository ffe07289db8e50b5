#include "xo/model_deps.h"

#include <algorithm>

namespace xr::xo {

void DirtySet::add(std::string_view ref) {
  if (ref.empty()) return;
  if (seen_.emplace(ref).second) order_.emplace_back(ref);
}

void DirtySet::clear() {
  order_.clear();
  seen_.clear();
}

namespace {

template <class T>
const T* as(const ObjData* d) {
  return d ? std::get_if<T>(d) : nullptr;
}

// VMs with a disk on this SR (their $container may depend on the SR's locality).
void dirty_vms_of_sr(const ModelState& st, const SrData& sr, DirtySet& dirty) {
  for (const std::string& vdi_ref : sr.vdis) {
    const auto* vdi = st.data<VdiData>(vdi_ref);
    if (!vdi) continue;
    for (const std::string& vbd_ref : vdi->vbds) {
      if (const auto* vbd = st.data<VbdData>(vbd_ref)) dirty.add(vbd->vm);
    }
  }
}

void dirty_vms_of_vdi(const ModelState& st, const VdiData& vdi, DirtySet& dirty) {
  for (const std::string& vbd_ref : vdi.vbds) {
    if (const auto* vbd = st.data<VbdData>(vbd_ref)) dirty.add(vbd->vm);
  }
}

// Every VDI below `uuid` in vhd-parent chains (their chainPhysicalUsage includes it).
void dirty_descendants(const ModelState& st, std::string_view uuid, DirtySet& dirty,
                       int depth = 0) {
  if (depth > 256) return;  // a cycle in corrupt sm_config must not hang the poller
  auto it = st.vdi_children.find(uuid);
  if (it == st.vdi_children.end()) return;
  for (const std::string& child : it->second) {
    dirty.add(child);
    const Obj* o = st.find(child);
    if (o) dirty_descendants(st, o->uuid, dirty, depth + 1);
  }
}

void dirty_vms_using_task(const ModelState& st, std::string_view task, DirtySet& dirty) {
  for (const std::string& vm_ref : st.vms_with_ops) {
    const auto* vm = st.data<VmData>(vm_ref);
    if (!vm) continue;
    for (const auto& [t, op] : vm->current_ops) {
      if (t == task) dirty.add(vm_ref);
    }
  }
}

void set_owner(ModelState& st, std::string_view old_m, std::string_view new_m,
               const std::string& ref) {
  if (old_m == new_m) return;
  if (!old_m.empty()) {
    auto it = st.owner.find(old_m);
    if (it != st.owner.end() && it->second == ref) st.owner.erase(it);
  }
  if (!new_m.empty()) st.owner[std::string(new_m)] = ref;
}

void set_parent(ModelState& st, std::string_view old_p, std::string_view new_p,
                const std::string& ref) {
  if (old_p == new_p) return;
  if (!old_p.empty()) {
    auto it = st.vdi_children.find(old_p);
    if (it != st.vdi_children.end()) {
      std::erase(it->second, ref);
      if (it->second.empty()) st.vdi_children.erase(it);
    }
  }
  if (!new_p.empty()) st.vdi_children[std::string(new_p)].push_back(ref);
}

template <class T>
void dirty_owner_if_changed(const ModelState& st, const std::string& ref, const ObjData* prev,
                            const ObjData& next, DirtySet& dirty) {
  const T* a = as<T>(prev);
  if (!a || !(*a == std::get<T>(next))) {
    auto it = st.owner.find(ref);
    if (it != st.owner.end()) dirty.add(it->second);
  }
}

void track_vdi(ModelState& st, const std::string& ref, const VdiData* a, const VdiData& b,
               DirtySet& dirty) {
  if (!a || a->sr != b.sr) dirty_vms_of_vdi(st, b, dirty);
  if (!a || a->usage != b.usage || a->parent_uuid != b.parent_uuid) {
    const Obj* o = st.find(ref);
    if (o) dirty_descendants(st, o->uuid, dirty);
  }
  set_parent(st, a ? std::string_view(a->parent_uuid) : "", b.parent_uuid, ref);
  const auto* pool = st.data<PoolData>(st.pool_ref);
  if (pool && std::find(pool->ha_statefiles.begin(), pool->ha_statefiles.end(), ref) !=
                  pool->ha_statefiles.end()) {
    dirty.add(st.pool_ref);
  }
}

void track_host_like(ModelState& st, Cls cls, const std::string& ref, const ObjData* prev,
                     const ObjData& next, DirtySet& dirty) {
  if (cls == Cls::kHost) {
    const auto* a = as<HostData>(prev);
    const auto& b = std::get<HostData>(next);
    set_owner(st, a ? std::string_view(a->metrics) : "", b.metrics, ref);
    const auto* pool = st.data<PoolData>(st.pool_ref);
    if (pool && pool->master == ref &&
        (!a || a->name_label != b.name_label || a->platform_version != b.platform_version)) {
      dirty.add(st.pool_ref);
    }
  } else if (cls == Cls::kPif) {
    const auto* a = as<PifData>(prev);
    const auto& b = std::get<PifData>(next);
    set_owner(st, a ? std::string_view(a->metrics) : "", b.metrics, ref);
    if (!a || a->bond_master_of.empty() != b.bond_master_of.empty()) dirty.add(b.network);
  } else if (cls == Cls::kBond) {
    for (const ObjData* d : {prev, &next}) {
      if (const auto* bond = as<BondData>(d)) {
        dirty.add(bond->master);
        for (const std::string& s : bond->slaves) dirty.add(s);
      }
    }
  } else if (cls == Cls::kCertificate) {
    dirty.add(std::get<CertData>(next).host);
  }
}

void track_vm(ModelState& st, const std::string& ref, const ObjData* prev, const ObjData& next) {
  const auto* a = as<VmData>(prev);
  const auto& b = std::get<VmData>(next);
  set_owner(st, a ? std::string_view(a->metrics) : "", b.metrics, ref);
  set_owner(st, a ? std::string_view(a->guest_metrics) : "", b.guest_metrics, ref);
  if (b.current_ops.empty()) {
    st.vms_with_ops.erase(ref);
  } else {
    st.vms_with_ops.insert(ref);
  }
}

}  // namespace

void track_upsert(ModelState& st, Cls cls, const std::string& ref, const ObjData* prev,
                  const ObjData& next, DirtySet& dirty) {
  switch (cls) {
    case Cls::kVmMetrics: return dirty_owner_if_changed<VmMetricsData>(st, ref, prev, next, dirty);
    case Cls::kVmGuestMetrics:
      return dirty_owner_if_changed<GuestMetricsData>(st, ref, prev, next, dirty);
    case Cls::kHostMetrics:
      return dirty_owner_if_changed<HostMetricsData>(st, ref, prev, next, dirty);
    case Cls::kPifMetrics:
      return dirty_owner_if_changed<PifMetricsData>(st, ref, prev, next, dirty);
    case Cls::kVm: return track_vm(st, ref, prev, next);
    case Cls::kHost: case Cls::kPif: case Cls::kBond: case Cls::kCertificate:
      return track_host_like(st, cls, ref, prev, next, dirty);
    case Cls::kVdi: return track_vdi(st, ref, as<VdiData>(prev), std::get<VdiData>(next), dirty);
    case Cls::kVbd: {
      const auto* a = as<VbdData>(prev);
      const auto& b = std::get<VbdData>(next);
      if (!a || a->vdi != b.vdi) dirty.add(b.vm);
      return;
    }
    case Cls::kSr: {
      const auto* a = as<SrData>(prev);
      const auto& b = std::get<SrData>(next);
      if (!a || a->shared != b.shared || a->pbds != b.pbds) dirty_vms_of_sr(st, b, dirty);
      return;
    }
    case Cls::kPbd: {
      const auto* a = as<PbdData>(prev);
      const auto& b = std::get<PbdData>(next);
      if (!a || a->host != b.host || a->sr != b.sr || a->provisioning != b.provisioning) {
        dirty.add(b.sr);
        if (const auto* sr = st.data<SrData>(b.sr)) dirty_vms_of_sr(st, *sr, dirty);
      }
      return;
    }
    case Cls::kTask:
      if (!prev) dirty_vms_using_task(st, ref, dirty);
      return;
    default: return;
  }
}

void track_delete(ModelState& st, const Obj& obj, const std::string& ref, DirtySet& dirty) {
  switch (obj.cls) {
    case Cls::kVmMetrics: case Cls::kVmGuestMetrics: case Cls::kHostMetrics:
    case Cls::kPifMetrics: {
      auto it = st.owner.find(ref);
      if (it != st.owner.end()) {
        dirty.add(it->second);
        st.owner.erase(it);
      }
      return;
    }
    case Cls::kVm: {
      const auto& vm = std::get<VmData>(obj.data);
      set_owner(st, vm.metrics, "", ref);
      set_owner(st, vm.guest_metrics, "", ref);
      st.vms_with_ops.erase(ref);
      return;
    }
    case Cls::kVdi: {
      const auto& vdi = std::get<VdiData>(obj.data);
      dirty_vms_of_vdi(st, vdi, dirty);
      dirty_descendants(st, obj.uuid, dirty);
      set_parent(st, vdi.parent_uuid, "", ref);
      return;
    }
    case Cls::kVbd: return dirty.add(std::get<VbdData>(obj.data).vm);
    case Cls::kPbd: return dirty.add(std::get<PbdData>(obj.data).sr);
    case Cls::kTask: return dirty_vms_using_task(st, ref, dirty);
    case Cls::kHost: case Cls::kPif: case Cls::kBond: case Cls::kCertificate:
      track_host_like(st, obj.cls, ref, &obj.data, obj.data, dirty);
      if (obj.cls == Cls::kHost) set_owner(st, std::get<HostData>(obj.data).metrics, "", ref);
      if (obj.cls == Cls::kPif) set_owner(st, std::get<PifData>(obj.data).metrics, "", ref);
      return;
    default: return;
  }
}

}  // namespace xr::xo

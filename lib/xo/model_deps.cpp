#include "xo/model_deps.h"

#include <algorithm>

namespace xr::xo {

void DirtySet::add(Handle h) {
  if (h == kNoHandle || seen_.find(h)) return;
  seen_.set(h, 1);
  order_.push_back(h);
}

namespace {

template <class T>
const T* as(const ObjData* d) {
  return d ? data_as<T>(*d) : nullptr;
}

void dirty_vms_of_vdi(const ModelState& st, const VdiData& vdi, DirtySet& dirty) {
  for (Handle vbd : vdi.vbds) {
    if (const auto* d = st.data<VbdData>(vbd)) dirty.add(d->vm);
  }
}

// VMs with a disk on this SR (their $container may depend on the SR's locality).
void dirty_vms_of_sr(const ModelState& st, const SrData& sr, DirtySet& dirty) {
  for (Handle vdi : sr.vdis) {
    if (const auto* d = st.data<VdiData>(vdi)) dirty_vms_of_vdi(st, *d, dirty);
  }
}

// Every VDI below `uuid` in vhd-parent chains (their chainPhysicalUsage includes it).
void dirty_descendants(const ModelState& st, std::string_view uuid, DirtySet& dirty,
                       int depth = 0) {
  if (depth > 256) return;  // a cycle in corrupt sm_config must not hang the poller
  auto it = st.vdi_children.find(uuid);
  if (it == st.vdi_children.end()) return;
  for (Handle child : it->second) {
    dirty.add(child);
    if (const Obj* o = st.get(child)) dirty_descendants(st, o->uuid(), dirty, depth + 1);
  }
}

void dirty_vms_using_task(const ModelState& st, std::string_view task_ref, DirtySet& dirty) {
  for (Handle vm_h : st.vms_with_ops) {
    const auto* vm = st.data<VmData>(vm_h);
    if (vm && !packed_get(vm->current_ops, task_ref).empty()) dirty.add(vm_h);
  }
}

void set_owner(ModelState& st, Handle old_m, Handle new_m, Handle owner) {
  if (old_m == new_m) return;
  if (old_m != kNoHandle) {
    auto it = st.owner.find(old_m);
    if (it != st.owner.end() && it->second == owner) st.owner.erase(it);
  }
  if (new_m != kNoHandle) st.owner[new_m] = owner;
}

void set_parent(ModelState& st, std::string_view old_p, std::string_view new_p, Handle h) {
  if (old_p == new_p) return;
  if (!old_p.empty()) {
    auto it = st.vdi_children.find(old_p);
    if (it != st.vdi_children.end()) {
      std::erase(it->second, h);
      if (it->second.empty()) st.vdi_children.erase(it);
    }
  }
  if (!new_p.empty()) st.vdi_children[std::string(new_p)].push_back(h);
}

template <class T>
void dirty_owner_if_changed(const ModelState& st, Handle h, const ObjData* prev,
                            const ObjData& next, DirtySet& dirty) {
  const T* a = as<T>(prev);
  if (!a || !(*a == *data_as<T>(next))) {
    auto it = st.owner.find(h);
    if (it != st.owner.end()) dirty.add(it->second);
  }
}

void track_vdi(ModelState& st, Handle h, const VdiData* a, const VdiData& b, DirtySet& dirty) {
  if (!a || a->sr != b.sr) dirty_vms_of_vdi(st, b, dirty);
  if (!a || a->usage != b.usage || a->parent_uuid != b.parent_uuid) {
    if (const Obj* o = st.get(h)) dirty_descendants(st, o->uuid(), dirty);
  }
  set_parent(st, a ? std::string_view(a->parent_uuid) : "", b.parent_uuid, h);
  const auto* pool = st.data<PoolData>(st.pool);
  if (pool && std::find(pool->ha_statefiles.begin(), pool->ha_statefiles.end(), h) !=
                  pool->ha_statefiles.end()) {
    dirty.add(st.pool);
  }
}

void track_host(ModelState& st, Handle h, const HostData* a, const HostData& b, DirtySet& dirty) {
  set_owner(st, a ? a->metrics : kNoHandle, b.metrics, h);
  const auto* pool = st.data<PoolData>(st.pool);
  if (pool && pool->master == h &&
      (!a || a->name_label != b.name_label || a->platform_version != b.platform_version)) {
    dirty.add(st.pool);
  }
}

void track_pif(ModelState& st, Handle h, const PifData* a, const PifData& b, DirtySet& dirty) {
  set_owner(st, a ? a->metrics : kNoHandle, b.metrics, h);
  if (!a || a->bond_master_of.empty() != b.bond_master_of.empty()) dirty.add(b.network);
}

void dirty_bond(const BondData* bond, DirtySet& dirty) {
  if (!bond) return;
  dirty.add(bond->master);
  for (Handle s : bond->slaves) dirty.add(s);
}

void track_vm(ModelState& st, Handle h, const VmData* a, const VmData& b) {
  set_owner(st, a ? a->metrics : kNoHandle, b.metrics, h);
  set_owner(st, a ? a->guest_metrics : kNoHandle, b.guest_metrics, h);
  if (b.current_ops.empty()) {
    st.vms_with_ops.erase(h);
  } else {
    st.vms_with_ops.insert(h);
  }
}

void track_storage(ModelState& st, Cls cls, const ObjData* prev, const ObjData& next,
                   DirtySet& dirty) {
  if (cls == Cls::kVbd) {
    const auto* a = as<VbdData>(prev);
    const auto& b = *data_as<VbdData>(next);
    if (!a || a->vdi != b.vdi) dirty.add(b.vm);
  } else if (cls == Cls::kSr) {
    const auto* a = as<SrData>(prev);
    const auto& b = *data_as<SrData>(next);
    if (!a || a->shared != b.shared || a->pbds != b.pbds) dirty_vms_of_sr(st, b, dirty);
  } else if (cls == Cls::kPbd) {
    const auto* a = as<PbdData>(prev);
    const auto& b = *data_as<PbdData>(next);
    if (!a || a->host != b.host || a->sr != b.sr || a->provisioning != b.provisioning) {
      dirty.add(b.sr);
      if (const auto* sr = st.data<SrData>(b.sr)) dirty_vms_of_sr(st, *sr, dirty);
    }
  }
}

}  // namespace

void track_upsert(ModelState& st, Cls cls, Handle h, const ObjData* prev, const ObjData& next,
                  DirtySet& dirty) {
  switch (cls) {
    case Cls::kVmMetrics:
      return dirty_owner_if_changed<VmMetricsData>(st, h, prev, next, dirty);
    case Cls::kVmGuestMetrics:
      return dirty_owner_if_changed<GuestMetricsData>(st, h, prev, next, dirty);
    case Cls::kHostMetrics:
      return dirty_owner_if_changed<HostMetricsData>(st, h, prev, next, dirty);
    case Cls::kPifMetrics:
      return dirty_owner_if_changed<PifMetricsData>(st, h, prev, next, dirty);
    case Cls::kVm:
      return track_vm(st, h, as<VmData>(prev), *data_as<VmData>(next));
    case Cls::kHost:
      return track_host(st, h, as<HostData>(prev), *data_as<HostData>(next), dirty);
    case Cls::kPif:
      return track_pif(st, h, as<PifData>(prev), *data_as<PifData>(next), dirty);
    case Cls::kBond:
      dirty_bond(as<BondData>(prev), dirty);
      return dirty_bond(data_as<BondData>(next), dirty);
    case Cls::kCertificate:
      return dirty.add(data_as<CertData>(next)->host);
    case Cls::kVdi:
      return track_vdi(st, h, as<VdiData>(prev), *data_as<VdiData>(next), dirty);
    case Cls::kVbd:
    case Cls::kSr:
    case Cls::kPbd:
      return track_storage(st, cls, prev, next, dirty);
    case Cls::kTask:
      if (!prev) dirty_vms_using_task(st, st.ref_of(h), dirty);
      return;
    default:
      return;
  }
}

void track_delete(ModelState& st, Handle h, DirtySet& dirty) {
  const Obj* obj = st.get(h);
  if (!obj) return;
  const ObjData& d = obj->data;
  switch (obj->cls) {
    case Cls::kVmMetrics:
    case Cls::kVmGuestMetrics:
    case Cls::kHostMetrics:
    case Cls::kPifMetrics: {
      auto it = st.owner.find(h);
      if (it != st.owner.end()) {
        dirty.add(it->second);
        st.owner.erase(it);
      }
      return;
    }
    case Cls::kVm: {
      const auto& vm = *data_as<VmData>(d);
      set_owner(st, vm.metrics, kNoHandle, h);
      set_owner(st, vm.guest_metrics, kNoHandle, h);
      st.vms_with_ops.erase(h);
      return;
    }
    case Cls::kVdi: {
      const auto& vdi = *data_as<VdiData>(d);
      dirty_vms_of_vdi(st, vdi, dirty);
      dirty_descendants(st, obj->uuid(), dirty);
      set_parent(st, vdi.parent_uuid, "", h);
      return;
    }
    case Cls::kVbd:
      return dirty.add(data_as<VbdData>(d)->vm);
    case Cls::kPbd:
      return dirty.add(data_as<PbdData>(d)->sr);
    case Cls::kTask:
      return dirty_vms_using_task(st, st.ref_of(h), dirty);
    case Cls::kHost:
      return set_owner(st, data_as<HostData>(d)->metrics, kNoHandle, h);
    case Cls::kPif:
      return set_owner(st, data_as<PifData>(d)->metrics, kNoHandle, h);
    case Cls::kBond:
      return dirty_bond(data_as<BondData>(d), dirty);
    case Cls::kCertificate:
      return dirty.add(data_as<CertData>(d)->host);
    default:
      return;
  }
}

}  // namespace xr::xo

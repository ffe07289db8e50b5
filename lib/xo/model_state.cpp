#include "xo/model_state.h"

namespace xr::xo {
namespace {

uint32_t slot_of(Handle h) { return static_cast<uint32_t>(h & 0xffffffffu); }
uint32_t gen_of(Handle h) { return static_cast<uint32_t>(h >> 32); }
Handle make_handle(uint32_t slot, uint32_t gen) { return (Handle(gen) << 32) | slot; }

}  // namespace

std::string pack_pairs(const std::vector<std::pair<std::string_view, std::string_view>>& kv) {
  std::string out;
  for (auto [k, v] : kv) {
    out.append(k).push_back('\0');
    out.append(v).push_back('\0');
  }
  return out;
}

StringPairs unpack_pairs(std::string_view p) {
  StringPairs out;
  while (!p.empty()) {
    size_t a = p.find('\0');
    size_t b = p.find('\0', a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos) break;
    out.emplace_back(std::string(p.substr(0, a)), std::string(p.substr(a + 1, b - a - 1)));
    p.remove_prefix(b + 1);
  }
  return out;
}

std::string_view packed_get(std::string_view p, std::string_view key) {
  while (!p.empty()) {
    size_t a = p.find('\0');
    size_t b = p.find('\0', a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos) break;
    if (p.substr(0, a) == key) return p.substr(a + 1, b - a - 1);
    p.remove_prefix(b + 1);
  }
  return {};
}

Handle ModelState::handle(std::string_view ref) const {
  if (ref.empty()) return kNoHandle;
  auto it = by_ref_.find(ref);
  return it == by_ref_.end() ? kNoHandle : it->second;
}

const Obj* ModelState::get(Handle h) const {
  if (h == kNoHandle || slot_of(h) >= slots_.size()) return nullptr;
  const Slot& s = slots_[slot_of(h)];
  return s.live && s.gen == gen_of(h) ? &s.obj : nullptr;
}

Obj* ModelState::get(Handle h) {
  return const_cast<Obj*>(static_cast<const ModelState*>(this)->get(h));
}

std::string_view ModelState::ref_of(Handle h) const {
  return get(h) ? std::string_view(*slots_[slot_of(h)].ref) : std::string_view{};
}

std::string_view ModelState::uuid_of(Handle h) const {
  const Obj* o = get(h);
  return o ? std::string_view(o->uuid) : std::string_view{};
}

Handle ModelState::handle_of_uuid(std::string_view uuid) const {
  auto it = by_uuid_.find(uuid);
  return it == by_uuid_.end() ? kNoHandle : it->second;
}

std::string ModelState::xo_id(const Obj& o) const {
  return o.pool_scoped_id ? pool_uuid + "-" + o.uuid : o.uuid;
}

Handle ModelState::create(std::string_view ref, Cls cls, std::string_view uuid) {
  Handle h = handle(ref);
  if (h == kNoHandle) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& s = slots_[slot];
    s.live = true;
    h = make_handle(slot, s.gen);
    auto [it, inserted] = by_ref_.emplace(std::string(ref), h);
    s.ref = &it->first;
  }
  Obj& o = slots_[slot_of(h)].obj;
  o.cls = cls;
  if (o.uuid != uuid) {
    if (!o.uuid.empty()) by_uuid_.erase(o.uuid);
    o.uuid = std::string(uuid);
    if (!o.uuid.empty()) by_uuid_[o.uuid] = h;
  }
  return h;
}

void ModelState::erase(Handle h) {
  Obj* o = get(h);
  if (!o) return;
  Slot& s = slots_[slot_of(h)];
  auto u = by_uuid_.find(o->uuid);
  if (u != by_uuid_.end() && u->second == h) by_uuid_.erase(u);
  by_ref_.erase(*s.ref);
  s.obj = Obj();
  s.ref = nullptr;
  s.live = false;
  ++s.gen;
  free_.push_back(slot_of(h));
}

std::vector<Handle> ModelState::all() const {
  std::vector<Handle> out;
  out.reserve(by_ref_.size());
  for (const auto& [ref, h] : by_ref_) out.push_back(h);
  return out;
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
      const auto* vdi = data_as<VdiData>(o.data);
      if (vdi && vdi->is_snapshot) return "VDI-snapshot";
      if (vdi && !vdi->managed) return "VDI-unmanaged";
      return "VDI";
    }
    case Cls::kVm: {
      const auto* vm = data_as<VmData>(o.data);
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

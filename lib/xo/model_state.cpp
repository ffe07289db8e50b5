#include "xo/model_state.h"

#include <array>

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

namespace {

constexpr std::string_view kRefPrefix = "OpaqueRef:";

// Lower-case hex digit values, -1 for anything else (upper case is kept as text so that
// it round-trips exactly).
constexpr auto kHexValue = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  return t;
}();

// Appends the `n` hex digits at `p` to `acc`; false on a non-hex character.
bool add_hex(const char* p, int n, uint64_t* acc) {
  uint64_t v = *acc;
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    int d = kHexValue[static_cast<unsigned char>(p[i])];
    bad |= d;
    v = (v << 4) | static_cast<uint64_t>(d & 0xf);
  }
  *acc = v;
  return bad >= 0;
}

}  // namespace

std::optional<Id16> id16_from_uuid(std::string_view s) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
    return std::nullopt;
  }
  const char* p = s.data();
  uint64_t hi = 0, lo = 0;
  bool ok = add_hex(p, 8, &hi) && add_hex(p + 9, 4, &hi) && add_hex(p + 14, 4, &hi) &&
            add_hex(p + 19, 4, &lo) && add_hex(p + 24, 12, &lo);
  if (!ok) return std::nullopt;
  return Id16{hi, lo};
}

std::string uuid_from_id16(const Id16& k) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int nibble = 0;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    uint64_t part = nibble < 16 ? k.hi : k.lo;
    out[i] = kHex[(part >> (4 * (15 - nibble % 16))) & 0xf];
    ++nibble;
  }
  return out;
}

void Uuid::set(std::string_view text) {
  auto id = id16_from_uuid(text);
  bin_ = id.has_value();
  id_ = id.value_or(Id16{});
  if (bin_ || text.empty()) {
    text_.reset();
  } else {
    text_ = std::make_unique<std::string>(text);
  }
}

std::string Uuid::str() const {
  if (bin_) return uuid_from_id16(id_);
  return text_ ? *text_ : std::string();
}

const Handle* ModelState::ref_entry(std::string_view ref) const {
  if (ref.starts_with(kRefPrefix)) {
    if (auto id = id16_from_uuid(ref.substr(kRefPrefix.size()))) {
      return by_ref_.find(*id);
    }
  }
  auto it = by_ref_text_.find(ref);
  return it == by_ref_text_.end() ? nullptr : &it->second;
}

Handle* ModelState::ref_entry(std::string_view ref) {
  return const_cast<Handle*>(static_cast<const ModelState*>(this)->ref_entry(ref));
}

Handle ModelState::handle(std::string_view ref) const {
  if (ref.empty()) return kNoHandle;
  const Handle* h = ref_entry(ref);
  return h ? *h : kNoHandle;
}

const Obj* ModelState::get(Handle h) const {
  if (h == kNoHandle || slot_of(h) >= slots_.size()) return nullptr;
  const Slot& s = slots_[slot_of(h)];
  return s.live && s.gen == gen_of(h) ? &s.obj : nullptr;
}

Obj* ModelState::get(Handle h) {
  return const_cast<Obj*>(static_cast<const ModelState*>(this)->get(h));
}

std::string ModelState::ref_of(Handle h) const {
  if (!get(h)) return std::string();
  const Slot& s = slots_[slot_of(h)];
  return s.ref_bin ? std::string(kRefPrefix) + uuid_from_id16(s.ref_id) : *s.ref;
}

std::string ModelState::uuid_of(Handle h) const {
  const Obj* o = get(h);
  return o ? o->uuid() : std::string();
}

Handle ModelState::handle_of_uuid(std::string_view uuid) const {
  if (auto id = id16_from_uuid(uuid)) {
    const Handle* h = by_uuid_.find(*id);
    return h ? *h : kNoHandle;
  }
  auto it = by_uuid_text_.find(uuid);
  return it == by_uuid_text_.end() ? kNoHandle : it->second;
}

std::string ModelState::xo_id(const Obj& o, bool pool_scoped) const {
  return pool_scoped ? pool_uuid + "-" + o.uuid() : o.uuid();
}

Handle ModelState::new_slot(std::string_view ref) {
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
  Handle h = make_handle(slot, s.gen);
  std::optional<Id16> id;
  if (ref.starts_with(kRefPrefix)) id = id16_from_uuid(ref.substr(kRefPrefix.size()));
  s.ref_bin = id.has_value();
  if (id) {
    s.ref_id = *id;
    by_ref_.set(*id, h);
  } else {
    s.ref = &by_ref_text_.emplace(std::string(ref), h).first->first;
  }
  return h;
}

void ModelState::unindex_uuid(Handle h, const Obj& o) {
  if (o.uuid_.binary()) {
    const Handle* found = by_uuid_.find(o.uuid_.id());
    if (found && *found == h) by_uuid_.erase(o.uuid_.id());
  } else if (!o.uuid_.empty()) {
    auto it = by_uuid_text_.find(o.uuid());
    if (it != by_uuid_text_.end() && it->second == h) by_uuid_text_.erase(it);
  }
}

void ModelState::reserve(size_t n) {
  by_ref_.reserve(n);
  by_uuid_.reserve(n);
}

Handle ModelState::create(std::string_view ref, Cls cls, std::string_view uuid) {
  Handle h = handle(ref);
  if (h == kNoHandle) h = new_slot(ref);
  Obj& o = slots_[slot_of(h)].obj;
  o.cls = cls;
  if (o.uuid() != uuid) {
    unindex_uuid(h, o);
    o.uuid_.set(uuid);
    if (o.uuid_.binary()) {
      by_uuid_.set(o.uuid_.id(), h);
    } else if (!o.uuid_.empty()) {
      by_uuid_text_.emplace(*o.uuid_.text(), h);
    }
  }
  return h;
}

void ModelState::erase(Handle h) {
  Obj* o = get(h);
  if (!o) return;
  Slot& s = slots_[slot_of(h)];
  unindex_uuid(h, *o);
  if (s.ref_bin) {
    by_ref_.erase(s.ref_id);
  } else {
    by_ref_text_.erase(*s.ref);
  }
  s.obj = Obj();
  s.ref = nullptr;
  s.live = false;
  ++s.gen;
  free_.push_back(slot_of(h));
}

std::vector<Handle> ModelState::all() const {
  std::vector<Handle> out;
  out.reserve(size());
  by_ref_.for_each([&](const Id16&, Handle h) { out.push_back(h); });
  for (const auto& [ref, h] : by_ref_text_) out.push_back(h);
  return out;
}

std::string_view xo_type_of(const Obj& o) {
  switch (o.cls) {
    case Cls::kPool:
      return "pool";
    case Cls::kHost:
      return "host";
    case Cls::kSr:
      return "SR";
    case Cls::kPbd:
      return "PBD";
    case Cls::kVbd:
      return "VBD";
    case Cls::kVif:
      return "VIF";
    case Cls::kNetwork:
      return "network";
    case Cls::kPif:
      return "PIF";
    case Cls::kMessage:
      return "message";
    case Cls::kSm:
      return "SM";
    case Cls::kPci:
      return "PCI";
    case Cls::kPgpu:
      return "PGPU";
    case Cls::kVgpu:
      return "vgpu";
    case Cls::kVgpuType:
      return "vgpuType";
    case Cls::kGpuGroup:
      return "gpuGroup";
    case Cls::kVtpm:
      return "VTPM";
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
    default:
      return "";
  }
}

}  // namespace xr::xo

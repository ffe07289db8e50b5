// XO collection names and XAPI class names as the model knows them: which XAPI class an
// event is about, and which REST collection an XO object goes to. Pure data, any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace xr::xo {

// The XO collections the model fills (reference xo-rest-api.md §a.2).
enum class Coll : uint8_t {
  kPools,
  kHosts,
  kVms,
  kVmTemplates,
  kVmSnapshots,
  kVmControllers,
  kVdis,
  kVdiSnapshots,
  kVdiUnmanaged,
  kSrs,
  kNetworks,
  kPifs,
  kVifs,
  kVbds,
  kPbds,
  kMessages,
  kAlarms,
  kSms,
  kPcis,
  kPgpus,
  // In the cache for SSE subscriptions (and VM.VGPUs' ids), not REST collections: XO has no
  // /vgpus, /vgpu-types, /gpu-groups, /vtpms either.
  kVgpus,
  kVgpuTypes,
  kGpuGroups,
  kVtpms,
  kNone
};
inline constexpr int kCollCount = static_cast<int>(Coll::kNone);

// "vms", "vm-templates", ...; "" for kNone.
std::string_view coll_name(Coll c);
// kNone when unknown.
Coll coll_from_name(std::string_view name);

// XAPI classes the model reads. kOther: indexed for ref → uuid links only.
enum class Cls : uint8_t {
  kPool,
  kHost,
  kHostMetrics,
  kVm,
  kVmMetrics,
  kVmGuestMetrics,
  kSr,
  kPbd,
  kVdi,
  kVbd,
  kVif,
  kNetwork,
  kPif,
  kPifMetrics,
  kBond,
  kMessage,
  kTask,
  kSm,
  kPci,
  kPgpu,
  kVgpu,
  kVgpuType,
  kGpuGroup,
  kVtpm,
  kCertificate,
  kOther
};

// From event.from's lower-case class name ("vm_guest_metrics"); case-insensitive.
Cls cls_from_name(std::string_view name);

}  // namespace xr::xo

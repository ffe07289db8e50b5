#include "xo/collections.h"

#include <array>
#include <cctype>
#include <string>

namespace xr::xo {
namespace {

constexpr std::array<std::string_view, kCollCount> kCollNames = {
    "pools",          "hosts",  "vms",           "vm-templates",  "vm-snapshots",
    "vm-controllers", "vdis",   "vdi-snapshots", "vdi-unmanaged", "srs",
    "networks",       "pifs",   "vifs",          "vbds",          "pbds",
    "messages",       "alarms", "sms",           "pcis",          "pgpus",
    "vgpus",          "vgpu-types", "gpu-groups",    "vtpms"};

struct ClsName {
  std::string_view name;
  Cls cls;
};
constexpr ClsName kClsNames[] = {
    {"pool", Cls::kPool},
    {"host", Cls::kHost},
    {"host_metrics", Cls::kHostMetrics},
    {"vm", Cls::kVm},
    {"vm_metrics", Cls::kVmMetrics},
    {"vm_guest_metrics", Cls::kVmGuestMetrics},
    {"sr", Cls::kSr},
    {"pbd", Cls::kPbd},
    {"vdi", Cls::kVdi},
    {"vbd", Cls::kVbd},
    {"vif", Cls::kVif},
    {"network", Cls::kNetwork},
    {"pif", Cls::kPif},
    {"pif_metrics", Cls::kPifMetrics},
    {"bond", Cls::kBond},
    {"message", Cls::kMessage},
    {"task", Cls::kTask},
    {"sm", Cls::kSm},
    {"pci", Cls::kPci},
    {"pgpu", Cls::kPgpu},
    {"vgpu", Cls::kVgpu},
    {"vgpu_type", Cls::kVgpuType},
    {"gpu_group", Cls::kGpuGroup},
    {"vtpm", Cls::kVtpm},
    {"certificate", Cls::kCertificate},
};

}  // namespace

std::string_view coll_name(Coll c) {
  auto i = static_cast<size_t>(c);
  return i < kCollNames.size() ? kCollNames[i] : std::string_view{};
}

Coll coll_from_name(std::string_view name) {
  for (size_t i = 0; i < kCollNames.size(); ++i) {
    if (kCollNames[i] == name) return static_cast<Coll>(i);
  }
  return Coll::kNone;
}

Cls cls_from_name(std::string_view name) {
  std::string lower(name);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const ClsName& c : kClsNames) {
    if (c.name == lower) return c.cls;
  }
  return Cls::kOther;
}

}  // namespace xr::xo

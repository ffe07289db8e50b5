#include <algorithm>
#include <array>

#include "actions/action.h"
#include "actions/vm_actions.h"

namespace xr::app::actions {

namespace {

constexpr Returns kNothing = Returns::kNothing;
constexpr Returns kNewObject = Returns::kNewObject;

// One row per action. To add one: a row here (its route, listing and OpenAPI operation are
// generated from it) and its executor in <family>_actions.cpp. Params use XO's schema form.
// clang-format off
const std::array kActions = {
    ActionSpec{"vms", "start", "StartVm", "Start a VM (on a host when hostId is given)", "confirm",
               "start VM", "VM", R"({"hostId":{"type":"string","optional":true}})", kNothing, "", &vm_start},
    ActionSpec{"vms", "clean_shutdown", "CleanShutdownVm", "Shut a VM down cleanly (needs its guest tools)", "confirm",
               "clean shutdown VM", "VM", "", kNothing, "", &vm_clean_shutdown},
    ActionSpec{"vms", "hard_shutdown", "HardShutdownVm", "Power a VM off", "confirm",
               "hard shutdown VM", "VM", "", kNothing, "", &vm_hard_shutdown},
    ActionSpec{"vms", "clean_reboot", "CleanRebootVm", "Reboot a VM cleanly (needs its guest tools)", "confirm",
               "clean reboot VM", "VM", "", kNothing, "", &vm_clean_reboot},
    ActionSpec{"vms", "hard_reboot", "HardRebootVm", "Reset a VM", "confirm",
               "hard reboot VM", "VM", "", kNothing, "", &vm_hard_reboot},
    ActionSpec{"vms", "pause", "PauseVm", "Pause a running VM", "confirm",
               "pause VM", "VM", "", kNothing, "", &vm_pause},
    ActionSpec{"vms", "unpause", "UnpauseVm", "Unpause a paused VM", "confirm",
               "unpause VM", "VM", "", kNothing, "", &vm_unpause},
    ActionSpec{"vms", "suspend", "SuspendVm", "Suspend a running VM to disk", "confirm",
               "suspend VM", "VM", "", kNothing, "", &vm_suspend},
    ActionSpec{"vms", "resume", "ResumeVm", "Resume a suspended VM", "confirm",
               "resume VM", "VM", "", kNothing, "", &vm_resume},
    ActionSpec{"vms", "snapshot", "SnapshotVm", "Snapshot a VM (disks tagged [NOSNAP] left out)", "confirm",
               "snapshot VM", "VM", R"({"name_label":{"type":"string","optional":true}})", kNewObject,
               "vm-snapshots", &vm_snapshot},
    ActionSpec{"vms", "clone", "CloneVm", "Clone a VM (fast clone, or a full copy with fast=false or to srId)", "confirm",
               "clone VM", "VM",
               R"({"name_label":{"type":"string","optional":true},"fast":{"type":"boolean","optional":true},"srId":{"type":"string","optional":true}})",
               kNewObject, "vms", &vm_clone},
};
// clang-format on

}  // namespace

std::span<const ActionSpec> catalogue() { return kActions; }

const ActionSpec* find_action(std::string_view collection, std::string_view name) {
  for (const ActionSpec& a : kActions) {
    if (a.collection == collection && a.name == name) return &a;
  }
  return nullptr;
}

std::vector<const ActionSpec*> actions_of(std::string_view collection) {
  std::vector<const ActionSpec*> out;
  for (const ActionSpec& a : kActions) {
    if (a.collection == collection && !a.hidden) out.push_back(&a);
  }
  std::sort(out.begin(), out.end(), [](const ActionSpec* x, const ActionSpec* y) { return x->name < y->name; });
  return out;
}

}  // namespace xr::app::actions

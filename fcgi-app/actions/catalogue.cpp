#include <algorithm>
#include <array>

#include "actions/action.h"
#include "actions/host_actions.h"
#include "actions/pool_actions.h"
#include "actions/storage_actions.h"
#include "actions/vm_actions.h"
#include "actions/vm_migrate_actions.h"

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
    // acts room: VM migrate / revert, hosts, pools, SRs, PBDs, VBDs, VIFs, VDIs
    ActionSpec{"vms", "revert_snapshot", "RevertSnapshotVm", "Revert a VM to one of its snapshots (optionally snapshotting it first)", "confirm",
               "revert VM snapshot", "VM", R"({"snapshotId":{"type":"string"},"snapshotBefore":{"type":"boolean","optional":true}})", kNothing, "",
               &vm_revert_snapshot},
    ActionSpec{"vms", "migrate", "MigrateVm", "Migrate a VM to a host of its pool (live; storage motion with srId / srIdByVdiId)", "confirm",
               "Migrate VM", "VM",
               R"({"hostId":{"type":"string"},"migrationNetworkId":{"type":"string","optional":true},"srId":{"type":"string","optional":true},"srIdByVdiId":{"type":"object","optional":true},"networkIdByVifId":{"type":"object","optional":true}})",
               kNothing, "", &vm_migrate},
    ActionSpec{"hosts", "management_reconfigure", "ManagementReconfigureHost", "Move the host's management interface to one of its PIFs", "confirm",
               "reconfigure host management interface", "host", R"({"pif":{"type":"string"}})", kNothing, "",
               &host_management_reconfigure},
    ActionSpec{"hosts", "disable", "Disable", "Disable a host (evacuate: also move its VMs away)", "confirm",
               "disable host", "host",
               R"({"autoEnable":{"type":"boolean","optional":true},"evacuate":{"type":"boolean","optional":true},"force":{"type":"boolean","optional":true}})", kNothing, "", &host_disable},
    ActionSpec{"hosts", "enable", "Enable", "Enable a host", "confirm", "enable host", "host", "", kNothing, "", &host_enable},
    ActionSpec{"hosts", "start", "StartHost", "Power a host on (host.power_on: needs its power-on mode)", "confirm",
               "start host", "host", "", kNothing, "", &host_start},
    ActionSpec{"hosts", "clean_shutdown", "CleanShutdownHost", "Evacuate and shut a host down", "deny",
               "clean shutdown host", "host", R"({"bypassEvacuate":{"type":"boolean","optional":true},"bypassBackupCheck":{"type":"boolean","optional":true}})", kNothing, "",
               &host_clean_shutdown},
    ActionSpec{"hosts", "clean_reboot", "CleanRebootHost", "Evacuate and reboot a host", "deny",
               "clean reboot host", "host", R"({"bypassVersionCheck":{"type":"boolean","optional":true},"bypassBackupCheck":{"type":"boolean","optional":true},"force":{"type":"boolean","optional":true}})",
               kNothing, "", &host_clean_reboot},
    ActionSpec{"hosts", "smart_reboot", "SmartRebootHost", "Suspend the host's VMs, reboot it, resume them", "deny",
               "smart reboot host", "host",
               R"({"bypassCurrentVmCheck":{"type":"boolean","optional":true},"bypassBlockedSuspend":{"type":"boolean","optional":true},"bypassVersionCheck":{"type":"boolean","optional":true},"bypassBackupCheck":{"type":"boolean","optional":true}})",
               kNothing, "", &host_smart_reboot},
    ActionSpec{"hosts", "restart_toolstack", "RestartHostToolstack", "Restart the host's toolstack and wait for it", "confirm",
               "restart host's toolstack", "host", R"({"bypassBackupCheck":{"type":"boolean","optional":true}})", kNothing, "", &host_restart_toolstack},
    ActionSpec{"hosts", "emergency_shutdown", "EmergencyShutdownHost", "Disable the host, suspend its VMs, shut it down", "deny",
               "emergency shutdown host", "host", "", kNothing, "", &host_emergency_shutdown},
    ActionSpec{"hosts", "detach", "DetachHost", "Eject the host from its pool", "deny",
               "detach host", "host", "", kNothing, "", &host_detach},
    ActionSpec{"hosts", "forget", "ForgetHost", "Forget a host that is gone (host.destroy)", "deny",
               "forget host", "host", "", kNothing, "", &host_forget},
    ActionSpec{"hosts", "scan_pifs", "HostScanPifs", "Look for new physical interfaces on the host", "confirm",
               "scan pifs", "host", "", kNothing, "", &host_scan_pifs},
    ActionSpec{"pools", "create_network", "CreateNetwork", "Create a network with a VLAN on a PIF of every host", "confirm",
               "create network", "pool",
               R"({"name":{"type":"string"},"pif":{"type":"string"},"vlan":{"type":"integer","minimum":0,"maximum":4094},"description":{"type":"string","optional":true,"minLength":0},"mtu":{"type":"integer","optional":true,"default":1500,"minimum":68,"maximum":65535},"nbd":{"type":"boolean","optional":true}})",
               kNewObject, "networks", &pool_create_network},
    ActionSpec{"pools", "create_bonded_network", "CreateBondedNetwork", "Create a network over a bond of PIFs on every host", "confirm",
               "create bonded network", "pool",
               R"({"name":{"type":"string"},"pifIds":{"type":"array"},"bondMode":{"type":"string","enum":["balance-slb","active-backup","lacp"]},"description":{"type":"string","optional":true,"minLength":0},"mtu":{"type":"integer","optional":true,"default":1500,"minimum":68,"maximum":65535},"nbd":{"type":"boolean","optional":true}})",
               kNewObject, "networks", &pool_create_bonded_network},
    ActionSpec{"pools", "create_internal_network", "CreateInternalNetwork", "Create a network without a physical interface", "confirm",
               "create internal network", "pool", R"({"name":{"type":"string"},"description":{"type":"string","optional":true,"minLength":0},"mtu":{"type":"integer","optional":true,"default":1500,"minimum":68,"maximum":65535},"nbd":{"type":"boolean","optional":true}})", kNewObject, "networks",
               &pool_create_internal_network},
    ActionSpec{"pools", "create_vm", "CreateVm", "Create a VM from a template (disks, interfaces, install media, cloud-init)", "confirm",
               "create VM", "pool",
               R"({"name_label":{"type":"string"},"template":{"type":"string"},"name_description":{"type":"string","optional":true,"minLength":0},"affinity":{"type":"string","optional":true},"autoPoweron":{"type":"boolean","optional":true},"boot":{"type":"boolean","optional":true,"default":false},"clone":{"type":"boolean","optional":true,"default":true},"cloud_config":{"type":"string","optional":true},"network_config":{"type":"string","optional":true},"destroy_cloud_config_vdi":{"type":"boolean","optional":true,"default":false},"install":{"type":"object","optional":true},"memory":{"type":"integer","optional":true,"minimum":1},"cpus":{"type":"integer","optional":true,"minimum":1},"vdis":{"type":"array","optional":true,"default":[]},"vifs":{"type":"array","optional":true,"default":[]},"hvmBootFirmware":{"type":"string","optional":true,"enum":["uefi","bios"]},"secureBoot":{"type":"boolean","optional":true,"default":false},"createVtpm":{"type":"boolean","optional":true,"default":false},"copyHostBiosStrings":{"type":"boolean","optional":true,"default":false},"high_availability":{"type":"string","optional":true,"enum":["","best-effort","restart"]},"gpuGroup":{"type":"string","optional":true},"vgpuType":{"type":"string","optional":true}})",
               kNewObject, "vms", &pool_create_vm},
    ActionSpec{"pools", "emergency_shutdown", "EmergencyShutdown", "Suspend every VM and shut every host down", "confirm",
               "pool emergency shutdown", "pool", "", kNothing, "", &pool_emergency_shutdown},
    ActionSpec{"pools", "rolling_reboot", "RollingReboot", "Reboot the hosts one by one, master first, evacuating each", "confirm",
               "rolling pool reboot", "pool", R"({"shutdownPinnedVms":{"type":"boolean","optional":true}})", kNothing, "", &pool_rolling_reboot},
    ActionSpec{"pools", "rolling_update", "RollingUpdate", "Update and reboot the hosts one by one, master first", "confirm",
               "rolling pool update", "pool", R"({"shutdownPinnedVms":{"type":"boolean","optional":true}})", kNothing, "", &pool_rolling_update},
    ActionSpec{"pools", "management_reconfigure", "ManagementReconfigure", "Move every host's management interface to a network", "confirm",
               "reconfigure pool management interface", "pool", R"({"network":{"type":"string"}})", kNothing, "",
               &pool_management_reconfigure},
    ActionSpec{"srs", "reclaim_space", "ReclaimSpaceSr", "Discard unused blocks of an LVM SR (trim plugin)", "confirm",
               "SR reclaim space", "SR", "", kNothing, "", &sr_reclaim_space},
    ActionSpec{"srs", "scan", "ScanSr", "Rescan an SR", "confirm", "SR scan", "SR", "", kNothing, "", &sr_scan},
    ActionSpec{"srs", "forget", "ForgetSr", "Unplug an SR's PBDs and forget it (its data stays)", "confirm",
               "forget sr", "SR", "", kNothing, "", &sr_forget},
    ActionSpec{"pbds", "plug", "PlugPbd", "Attach an SR to its host", "confirm", "plug pbd", "PBD", "", kNothing, "", &pbd_plug},
    ActionSpec{"pbds", "unplug", "UnplugPbd", "Detach an SR from its host", "confirm", "unplug pbd", "PBD", "", kNothing, "",
               &pbd_unplug},
    ActionSpec{"vbds", "connect", "ConnectVbd", "Plug a virtual disk into its running VM", "confirm",
               "connect VBD", "VBD", "", kNothing, "", &vbd_connect},
    ActionSpec{"vbds", "disconnect", "DisconnectVbd", "Unplug a virtual disk from its running VM", "confirm",
               "disconnect VBD", "VBD", "", kNothing, "", &vbd_disconnect},
    ActionSpec{"vifs", "connect", "ConnectVif", "Plug a virtual interface into its running VM", "confirm",
               "connect VIF", "VIF", "", kNothing, "", &vif_connect},
    ActionSpec{"vifs", "disconnect", "DisconnectVif", "Unplug a virtual interface from its running VM", "confirm",
               "disconnect VIF", "VIF", "", kNothing, "", &vif_disconnect},
    ActionSpec{"vdis", "migrate", "MigrateVdi", "Move a disk to another SR", "confirm",
               "migrate VDI", "VDI", R"({"srId":{"type":"string"}})", kNewObject, "vdis", &vdi_migrate},
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

// The cloud-init config drive xo-server writes for create_vm: a 10 MiB FAT16 volume
// labelled "cidata" holding the NoCloud files (meta-data, user-data, network-config) and the
// Config Drive 2 fallback (openstack/latest/meta_data.json, user_data), long file names as
// VFAT entries. Same geometry as xo-server's fatfs-buffer.mjs (512 B sectors, 4 per
// cluster, 2 FATs of 20 sectors, 512 root entries). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace xr::app::actions {

constexpr size_t kConfigDriveSize = 10 * 1024 * 1024;

// The volume image (kConfigDriveSize bytes). network_config empty: no network-config file.
// with_mbr (xo-server: Windows VMs, platform.viridian=true): one MBR sector first, a FAT16
// LBA partition from sector 1.
std::string make_config_drive(std::string_view vm_uuid, std::string_view user_data,
                              std::string_view network_config, bool with_mbr = false);

}  // namespace xr::app::actions

// Executors of the pool actions (reference §e.1/§e.2 "Pool"): emergency_shutdown,
// rolling_reboot and rolling_update (xo-server's algorithm: master first, each host
// evacuated, [updated,] rebooted and waited for, VMs migrated back; one sub-task per host),
// create_network / create_bonded_network / create_internal_network,
// management_reconfigure; create_vm (pool_create_vm.cpp). Runner job threads; block on XAPI.
#pragma once

#include "actions/action.h"

namespace xr::app::actions {

Result<std::string> pool_emergency_shutdown(ActionRun& run);
Result<std::string> pool_rolling_reboot(ActionRun& run);
Result<std::string> pool_rolling_update(ActionRun& run);
Result<std::string> pool_create_network(ActionRun& run);
Result<std::string> pool_create_bonded_network(ActionRun& run);
Result<std::string> pool_create_internal_network(ActionRun& run);
Result<std::string> pool_management_reconfigure(ActionRun& run);
Result<std::string> pool_create_vm(ActionRun& run);

}  // namespace xr::app::actions

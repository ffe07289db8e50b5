// Executors of the VM actions beyond power/snapshot/clone (reference §e.2 "VM"): migrate
// (intra-pool live migration, storage motion within the pool) and revert_snapshot —
// xo-server's migrateVm / revertVm sequences. Runner job threads; block on XAPI.
#pragma once

#include "actions/action.h"

namespace xr::app::actions {

Result<std::string> vm_migrate(ActionRun& run);
Result<std::string> vm_revert_snapshot(ActionRun& run);

}  // namespace xr::app::actions

// Executors of the VM actions (reference §e.2): power operations, snapshot, clone.
// Runner job threads; block on XAPI.
#pragma once

#include "actions/action.h"

namespace xr::app::actions {

Result<std::string> vm_start(ActionRun& run);
Result<std::string> vm_clean_shutdown(ActionRun& run);
Result<std::string> vm_hard_shutdown(ActionRun& run);
Result<std::string> vm_clean_reboot(ActionRun& run);
Result<std::string> vm_hard_reboot(ActionRun& run);
Result<std::string> vm_pause(ActionRun& run);
Result<std::string> vm_unpause(ActionRun& run);
Result<std::string> vm_suspend(ActionRun& run);
Result<std::string> vm_resume(ActionRun& run);
Result<std::string> vm_snapshot(ActionRun& run);
Result<std::string> vm_clone(ActionRun& run);

}  // namespace xr::app::actions

// Executors of the host actions (reference §e.2 "Host"): enable/disable (with evacuation),
// start, clean shutdown/reboot, smart reboot, toolstack restart, emergency shutdown, detach,
// forget, scan_pifs, management_reconfigure — xo-server's call sequences.
// Runner job threads; block on XAPI.
#pragma once

#include "actions/action.h"

namespace xr::app::actions {

Result<std::string> host_disable(ActionRun& run);
Result<std::string> host_enable(ActionRun& run);
Result<std::string> host_start(ActionRun& run);
Result<std::string> host_clean_shutdown(ActionRun& run);
Result<std::string> host_clean_reboot(ActionRun& run);
Result<std::string> host_smart_reboot(ActionRun& run);
Result<std::string> host_restart_toolstack(ActionRun& run);
Result<std::string> host_emergency_shutdown(ActionRun& run);
Result<std::string> host_detach(ActionRun& run);
Result<std::string> host_forget(ActionRun& run);
Result<std::string> host_scan_pifs(ActionRun& run);
Result<std::string> host_management_reconfigure(ActionRun& run);

// xo-server's clearHost: disable the host (indefinitely unless `transient`), evacuate it;
// when the evacuation fails and !force, enable it again and fail.
Status clear_host(ActionRun& run, const std::string& host_ref, bool force, bool transient = true);

}  // namespace xr::app::actions

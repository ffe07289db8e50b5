// Executors of the SR, PBD, VBD, VIF and VDI actions (reference §e.2 "Others"): SR scan,
// reclaim_space (the trim plugin), forget (PBDs unplugged first); PBD plug/unplug; VBD and
// VIF connect/disconnect; VDI migrate (VDI.pool_migrate, else copy + re-attach as XO).
// Runner job threads; block on XAPI.
#pragma once

#include "actions/action.h"

namespace xr::app::actions {

Result<std::string> sr_scan(ActionRun& run);
Result<std::string> sr_reclaim_space(ActionRun& run);
Result<std::string> sr_forget(ActionRun& run);
Result<std::string> pbd_plug(ActionRun& run);
Result<std::string> pbd_unplug(ActionRun& run);
Result<std::string> vbd_connect(ActionRun& run);
Result<std::string> vbd_disconnect(ActionRun& run);
Result<std::string> vif_connect(ActionRun& run);
Result<std::string> vif_disconnect(ActionRun& run);
Result<std::string> vdi_migrate(ActionRun& run);

}  // namespace xr::app::actions

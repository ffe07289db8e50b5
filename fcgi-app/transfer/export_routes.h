// Exports (issue 12): GET /vms|vm-snapshots|vm-templates/{id}.xva and
// /vdis|vdi-snapshots/{id}.vhd|.raw, streamed from XAPI's /export and /export_raw_vdi
// handlers to the client with constant memory. Worker (or transfer role) request thread;
// blocks for the whole transfer.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status get_vm_export(Context& ctx);
Status get_vdi_export(Context& ctx);

}  // namespace xr::app

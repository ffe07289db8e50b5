// DELETE of pool objects (the seed's "VM and VDI destruction", current XO's other deletes):
// vms, vm-snapshots and vm-templates with their disks and snapshots as XO's VM_destroy does,
// vdis, vdi-snapshots, networks, vbds, vifs. Synchronous on the worker's read-write XAPI
// session; 204 once the cache no longer shows the object. Worker request thread; blocks.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status delete_object(Context& ctx);

}  // namespace xr::app

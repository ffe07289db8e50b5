// SRs created and destroyed as current XO's SrService (reference §a.3): POST /srs runs
// SR.create on the named host (shared from the SR type, as XO computes it), DELETE /srs/{id}
// unplugs the SR's PBDs then runs SR.destroy. Both answer once the cache shows the change.
// Worker request thread; the XAPI calls block (an NFS or iSCSI SR.create can take seconds).
#pragma once

#include "routes/context.h"

namespace xr::app {

Status create_sr(Context& ctx);  // → 201 {"id"} + Location
Status delete_sr(Context& ctx);  // → 204

}  // namespace xr::app

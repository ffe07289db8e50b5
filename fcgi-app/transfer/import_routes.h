// Imports (issue 12): PUT /vdis/{id}.vhd|.raw into an existing VDI, POST /srs/{id}/vdis
// (a new VDI sized from the VHD footer or the raw length), POST /pools/{id}/vms (an XVA).
// nginx has written the body to disk (client_body_in_file_only) and passes its path in the
// XR_BODY_FILE param: the file is validated, opened and unlinked first, checked (VHD
// footer/BAT, XVA tar walk, sizes) before XAPI is touched, then streamed to XAPI's
// /import_raw_vdi or /import handler. A VDI created here is destroyed if the import fails.
// Worker (or transfer role) request thread; blocks for the whole transfer.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status put_vdi_import(Context& ctx);
Status post_sr_vdi_import(Context& ctx);
Status post_pool_vm_import(Context& ctx);

}  // namespace xr::app

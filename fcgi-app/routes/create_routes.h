// POST creations of current XO (§a.3): /vdis, /vbds, /vifs → 201 {"id"} + Location. The body
// is validated whole first (tsoa's 422 field map; the objects it names resolved from the
// cache, 404 when absent), then one XAPI create call on the worker's read-write session, and
// the answer waits until the cache shows the new object. Worker request thread; blocks.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status create_object(Context& ctx);

}  // namespace xr::app

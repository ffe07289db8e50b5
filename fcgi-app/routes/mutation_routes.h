// Synchronous changes of pool objects: PATCH of properties and tags as single items
// (PUT/DELETE /<collection>/{id}/tags/{tag}). The whole body is validated before the first
// XAPI call (422 naming each bad key, nothing changed), the calls run on the worker's
// read-write session, and the answer (204) waits until the cache shows the change, so the
// next GET from any worker sees it. Worker request thread; blocks on XAPI.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status patch_object(Context& ctx);
Status put_tag(Context& ctx);
Status delete_tag(Context& ctx);

}  // namespace xr::app

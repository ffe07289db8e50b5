// The read API over the shared object cache: collections, single objects and the
// sub-collections of an object (vdis, messages, alarms). Worker request thread; reads
// shared memory only (never blocks on the poller or XAPI).
#pragma once

#include "routes/context.h"

namespace xr::app {

Status list_collection(Context& ctx);
Status get_object(Context& ctx);
Status list_sub_collection(Context& ctx);

}  // namespace xr::app

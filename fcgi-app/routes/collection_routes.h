// The read API over the shared object cache: collections, single objects and the
// sub-collections of an object (vdis, messages, alarms). Worker request thread; reads
// shared memory only (never blocks on the poller or XAPI).
#pragma once

#include "routes/context.h"

namespace xr::app {

Status list_collection(Context& ctx);
Status get_object(Context& ctx);
Status list_sub_collection(Context& ctx);

// Appends to *json the object `id` (uuid or OpaqueRef) of `collection`; XO's 404 ("no such
// VM ...") when there is none, 503 while a pool is on its first synchronisation.
Status load_object(Context& ctx, std::string_view collection, std::string_view id, std::string* json);
// True for the collections of pool objects (vms, hosts, ...).
bool is_object_collection(std::string_view collection);
// The configured pool whose pool object is `pool_id` (kUnavailable when none is connected).
Result<std::string> configured_pool_of(Context& ctx, std::string_view pool_id);

}  // namespace xr::app

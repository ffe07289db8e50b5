// How the worker's routes reach the shared object cache. The cache itself (lib/cache)
// is mapped before fork; this is the worker-side handle to it. Worker threads; reads
// never block.
#pragma once

namespace xr::app {

// Filled in when lib/cache is present (see collection_routes.cpp).
class CacheAccess;

}  // namespace xr::app

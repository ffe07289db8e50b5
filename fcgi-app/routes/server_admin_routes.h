// Servers managed over REST as current XO (reference §a.8): POST /servers, PATCH and DELETE
// /servers/{id}, POST /servers/{id}/actions/connect|disconnect. Kept in the store
// (lib/servers, password sealed); the master merges them into the pools and every change
// makes it reload (SIGHUP), so the poller picks them up without a restart. The pools of the
// config file are read-only here (403). Also: the read-only check of every write.
// Worker request thread; database I/O.
#pragma once

#include <string_view>

#include "routes/context.h"

namespace xr::app {

Status add_server(Context& ctx);         // {host, username, password, label?, allowUnauthorized?, readOnly?}
Status update_server(Context& ctx);      // the same keys, all optional → 204
Status delete_server(Context& ctx);      // → 204
Status connect_server(Context& ctx);     // → 204 (enabled)
Status disconnect_server(Context& ctx);  // → 204 (disabled: its objects leave the cache)

// 403 when the pool named `pool` (a configured pool's name) is a read-only server.
Status check_pool_writable(Context& ctx, std::string_view pool);

}  // namespace xr::app

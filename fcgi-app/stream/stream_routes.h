// What the stream role answers: authentication as the workers do, then either a complete
// answer (an error in XO's shape) or an open stream attached to the connection.
// Stream thread only.
#pragma once

#include "routes/context.h"
#include "stream/connection.h"

namespace xr::app {

// Handles the ready request of `conn`: writes a complete answer (and ends it) or
// leaves a response open with conn.stream set.
void handle_stream_request(Connection& conn, Services& svc);

}  // namespace xr::app

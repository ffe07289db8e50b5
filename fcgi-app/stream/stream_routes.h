// What the stream role answers: authentication as the workers do, then either a complete
// answer (an error in XO's shape) or an open stream attached to the connection.
// Stream thread only.
#pragma once

#include "routes/context.h"
#include "stream/connection.h"
#include "stream/task_board.h"
#include "stream/watch.h"

namespace xr::app {

struct StreamServices {
  Services& svc;
  WatchHub& hub;
  TaskBoard& tasks;
  size_t client_buffer;  // bytes a client may have waiting before it is dropped
};

// Handles the ready request of `conn`: writes a complete answer (and ends it) or
// leaves a response open with conn.stream set. `stopping` (a graceful stop of the role):
// only handed-off waits are taken (their task may end before the stop deadline); any other
// request is answered 503 "the server is stopping: retry" (the next role instance serves it).
void handle_stream_request(Connection& conn, StreamServices& ss, bool stopping = false);

}  // namespace xr::app

// The console's data phase: WebSocket frames from the browser ↔ raw console bytes of the
// XAPI tunnel, with back-pressure (each direction holds at most kBufferBound bytes; a side
// is read only while the other has room), ping answered, and a clean end on either side:
// the console closing → close frame 1000; the client's close frame → echoed; the server
// stopping (stop_fd readable) → close frame 1001. Blocks its (console) thread until the end.
#pragma once

#include <cstdint>

#include "xapi/console_tunnel.h"

namespace xr::app {

inline constexpr size_t kBufferBound = 256 * 1024;

struct BridgeTotals {
  uint64_t to_console = 0;    // bytes written to the tunnel
  uint64_t from_console = 0;  // bytes received from the tunnel
  const char* ended_by = "";  // "console", "client", "stop", "error"
};

// `client_fd` is the connection from nginx (after the 101); `early` bytes of the console
// are sent first. Does not close client_fd.
BridgeTotals run_bridge(int client_fd, xapi::ConsoleTunnel& tunnel, std::string early, int stop_fd);

}  // namespace xr::app

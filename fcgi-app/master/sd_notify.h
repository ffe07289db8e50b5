// systemd readiness notification without libsystemd: one datagram to $NOTIFY_SOCKET
// ("READY=1", "RELOADING=1", "STOPPING=1"). Master process; never blocks; no-op when
// the variable is unset.
#pragma once

#include <string_view>

namespace xr::app {

void sd_notify(std::string_view state);

}  // namespace xr::app

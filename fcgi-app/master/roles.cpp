#include "master/roles.h"

#include <array>

#include "poller/poller.h"
#include "runner/runner.h"
#include "stream/stream.h"
#include "transfer/transfer_role.h"
#include "worker/worker.h"

namespace xr::app {

namespace {

int64_t one(const config::Config&) { return 1; }
int64_t workers(const config::Config& c) { return c.workers; }

std::string main_socket(const config::Config& c) { return c.socket; }
std::string stream_socket(const config::Config& c) {
  return c.role_socket_path("stream", c.stream_socket);
}
std::string console_socket(const config::Config& c) {
  return c.role_socket_path("console", c.stream_console_socket);
}
std::string transfer_socket(const config::Config& c) {
  return c.role_socket_path("transfer", c.transfer_socket);
}

// A role with its own socket: a row here (path from a config key, see
// Config::role_socket_path), `socket` in its RoleSpec, a location in nginx/*.conf.
const std::array kSockets = {
    SocketSpec{"fcgi", &main_socket},
    SocketSpec{"stream", &stream_socket},
    SocketSpec{"transfer", &transfer_socket},
    // Plain HTTP, not FastCGI: nginx proxy_passes the console WebSockets there.
    SocketSpec{"console", &console_socket},
};

const std::array kRoles = {
    RoleSpec{"poller", &run_poller, &one, RestartPolicy::kAlways, true, "fcgi"},
    RoleSpec{"worker", &run_worker, &workers, RestartPolicy::kAlways, false, "fcgi"},
    // Also the VM consoles: WebSockets that FastCGI cannot carry, on the "console" socket.
    RoleSpec{"stream", &run_stream, &one, RestartPolicy::kAlways, false, "stream", "console"},
    // Exports and imports: long requests kept off the workers' threads.
    RoleSpec{"transfer", &run_transfer, &one, RestartPolicy::kAlways, false, "transfer"},
    // The runner accepts no request (it gets the main socket's fd and never uses it). Not
    // exclusive: after a reload the old one finishes its running actions while the new one
    // takes the queued ones (jobs carry their runner, runner/README.md).
    RoleSpec{"runner", &run_runner, &one, RestartPolicy::kAlways, false, "fcgi"},
};

}  // namespace

std::span<const RoleSpec> role_table() { return kRoles; }
std::span<const SocketSpec> socket_table() { return kSockets; }

}  // namespace xr::app

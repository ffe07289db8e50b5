#include "master/roles.h"

#include <array>

#include "poller/poller.h"
#include "worker/worker.h"

namespace xr::app {

namespace {

int64_t one(const config::Config&) { return 1; }
int64_t workers(const config::Config& c) { return c.workers; }

const std::array kRoles = {
    RoleSpec{"poller", &run_poller, &one, RestartPolicy::kAlways, true},
    RoleSpec{"worker", &run_worker, &workers, RestartPolicy::kAlways, false},
};

}  // namespace

std::span<const RoleSpec> role_table() { return kRoles; }

}  // namespace xr::app

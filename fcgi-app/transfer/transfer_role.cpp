#include "transfer/transfer_role.h"

#include "worker/worker.h"

namespace xr::app {

int run_transfer(const ChildEnv& env) {
  return serve_requests(env, env.config.transfer_max_concurrent + 2);
}

}  // namespace xr::app

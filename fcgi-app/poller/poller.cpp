#include "poller/poller.h"

#include <signal.h>

#include "base/log.h"

namespace xr::app {

namespace {
const log::Logger kLog("poller");
}

int run_poller(const ChildEnv& env) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  kLog.warn("this build has no object cache: " + std::to_string(env.config.pools.size()) +
            " configured pool(s) are not polled");
  int sig = 0;
  while (sig != SIGQUIT && sig != SIGTERM) sigwait(&set, &sig);
  return 0;
}

}  // namespace xr::app

// The self-pipe: signal handlers only write the signal number as one byte; the master
// loop reads them as events. Master process only. read_signals() never blocks.
#pragma once

#include <vector>

namespace xr::app {

class SelfPipe {
 public:
  // Creates the pipe and installs handlers for SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT.
  SelfPipe();
  ~SelfPipe();
  SelfPipe(const SelfPipe&) = delete;
  SelfPipe& operator=(const SelfPipe&) = delete;

  int read_fd() const { return fds_[0]; }
  // Signals received since the last call, in order.
  std::vector<int> read_signals();
  // In a forked child: restores default handlers and closes the pipe.
  void release_in_child();

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace xr::app

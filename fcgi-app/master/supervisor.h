// The master process: validated config in, then the shared segment, the FastCGI socket,
// the children of every role (roles.h) and the supervision loop: restart with crash-loop
// backoff, reload on SIGHUP (socket kept), graceful stop on SIGTERM/SIGINT (SIGQUIT to
// children, then SIGTERM, then SIGKILL). Master process only; run() blocks until stopped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "master/credential_watch.h"
#include "master/listen_socket.h"
#include "master/roles.h"
#include "master/self_pipe.h"
#include "master/shared_segment.h"

namespace xr::app {

class Supervisor {
 public:
  Supervisor(std::string config_path, config::Config config);
  // Returns the process exit code.
  int run();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    const RoleSpec* role;
    int index;
    int generation;
    pid_t pid = 0;  // 0: waiting to be (re)started at restart_at
    Clock::time_point started{};
    Clock::time_point restart_at{};
    int quick_crashes = 0;
    bool retiring = false;
  };
  enum class Phase { kRunning, kGraceful, kTerm, kKill };

  void add_slots();
  void spawn_due(Clock::time_point now);
  void spawn(Slot& slot);
  void reap();
  void on_exit(Slot& slot, int status);
  void handle_signal(int sig);
  void begin_stop();
  void escalate(Clock::time_point now);
  // Kills a poller whose heartbeat (ControlBlock::poller_heartbeat_ms) is older than
  // kPollerSilenceMs (stopped, hung): on_exit starts another.
  void watch_poller_heartbeat(Clock::time_point now);
  void reload();
  bool open_sockets();
  void signal_live(int sig, bool only_retiring);
  int live_children(const RoleSpec* role) const;
  int timeout_ms(Clock::time_point now) const;

  std::string config_path_;
  config::Config config_;
  std::unique_ptr<SelfPipe> pipe_;
  std::map<std::string, std::unique_ptr<ListenSocket>, std::less<>> sockets_;  // socket_table()
  std::unique_ptr<SharedSegment> segment_;
  std::unique_ptr<CredentialWatch> credential_watch_;
  std::list<Slot> slots_;
  int generation_ = 0;
  Phase phase_ = Phase::kRunning;
  Clock::time_point deadline_{};
  pid_t master_pid_ = 0;
  Clock::time_point next_heartbeat_check_{};
};

}  // namespace xr::app

#include "master/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "cache/layout.h"
#include "config/loader.h"
#include "metrics/metrics.h"
#include "master/database.h"
#include "master/sd_notify.h"

namespace xr::app {

namespace {

const log::Logger kLog("master");
// A child that dies sooner than this after its start counts as crash-looping.
constexpr auto kQuickCrash = std::chrono::seconds(5);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kTermGrace = std::chrono::seconds(2);

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (SIG" +
           (name != nullptr ? name : "?") + ")";
  }
  return "ended";
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

}  // namespace

Supervisor::Supervisor(std::string config_path, config::Config config)
    : config_path_(std::move(config_path)), config_(std::move(config)) {}

void Supervisor::add_slots() {
  for (const RoleSpec& role : role_table()) {
    const int64_t n = role.count(config_);
    for (int i = 1; i <= n; ++i) slots_.push_back(Slot{&role, i, generation_});
  }
}

int Supervisor::live_children(const RoleSpec* role) const {
  return static_cast<int>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.pid > 0 && (role == nullptr || s.role == role);
  }));
}

void Supervisor::spawn(Slot& slot) {
  pid_t pid = fork();
  if (pid < 0) {
    kLog.error(std::string("fork failed: ") + std::strerror(errno));
    slot.restart_at = Clock::now() + std::chrono::seconds(1);
    return;
  }
  if (pid == 0) {
    // The child: die with the master, drop the master's duties, run the role.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid_) _exit(1);
    pipe_->release_in_child();
    for (auto& [name, sock] : sockets_) sock->forget_in_child();
    const std::string role(slot.role->name);
    log::set_role(slot.role->exclusive ? role : role + " " + std::to_string(slot.index));
    ChildEnv env{config_, sockets_.find(slot.role->socket)->second->fd(), slot.index,
                 segment_.get()};
    if (!slot.role->http_socket.empty()) env.http_fd = sockets_.find(slot.role->http_socket)->second->fd();
    _exit(slot.role->start(env));
  }
  slot.pid = pid;
  slot.started = Clock::now();
}

void Supervisor::spawn_due(Clock::time_point now) {
  if (phase_ != Phase::kRunning) return;
  for (Slot& s : slots_) {
    if (s.pid != 0 || s.retiring || s.restart_at > now) continue;
    if (s.role->exclusive && live_children(s.role) > 0) continue;  // wait for the old one
    spawn(s);
  }
}

void Supervisor::on_exit(Slot& slot, int status) {
  const auto now = Clock::now();
  const double uptime = std::chrono::duration<double>(now - slot.started).count();
  std::string line = std::string(slot.role->name) + " " + std::to_string(slot.index) + " pid " +
                     std::to_string(slot.pid) + " " + describe_exit(status) + " after " +
                     seconds_text(uptime);
  slot.pid = 0;
  if (slot.retiring || phase_ != Phase::kRunning || slot.role->restart == RestartPolicy::kNever) {
    kLog.info(line);
    slot.retiring = true;  // removed by reap()
    return;
  }
  metrics::record_restart(slot.role->name);
  slot.quick_crashes = now - slot.started < kQuickCrash ? slot.quick_crashes + 1 : 0;
  auto delay = std::chrono::milliseconds(0);
  if (slot.quick_crashes > 0) {
    const int shift = std::min(slot.quick_crashes - 1, 20);
    delay = std::min<std::chrono::milliseconds>(kFirstBackoff * (1 << shift),
                                                std::chrono::seconds(config_.restart_backoff_max));
  }
  slot.restart_at = now + delay;
  kLog.warn(line + "; restarting in " + seconds_text(delay.count() / 1000.0));
}

void Supervisor::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (Slot& s : slots_) {
      if (s.pid == pid) {
        on_exit(s, status);
        break;
      }
    }
  }
  slots_.remove_if([](const Slot& s) { return s.retiring && s.pid == 0; });
}

void Supervisor::signal_live(int sig, bool only_retiring) {
  for (const Slot& s : slots_) {
    if (s.pid > 0 && (!only_retiring || s.retiring)) kill(s.pid, sig);
  }
}

void Supervisor::begin_stop() {
  if (phase_ != Phase::kRunning) {  // a second request: stop harder now
    escalate(deadline_);
    return;
  }
  sd_notify("STOPPING=1");
  kLog.info("stopping: " + std::to_string(live_children(nullptr)) + " children, up to " +
            std::to_string(config_.shutdown_timeout) + " s for in-flight requests");
  phase_ = Phase::kGraceful;
  deadline_ = Clock::now() + std::chrono::seconds(config_.shutdown_timeout);
  signal_live(SIGQUIT, false);
}

void Supervisor::escalate(Clock::time_point now) {
  if (phase_ == Phase::kRunning || now < deadline_) return;
  if (phase_ == Phase::kGraceful) {
    kLog.warn("stop deadline passed: sending SIGTERM to " + std::to_string(live_children(nullptr)) +
              " children");
    signal_live(SIGTERM, false);
    phase_ = Phase::kTerm;
    deadline_ = now + kTermGrace;
  } else {
    kLog.warn("sending SIGKILL to " + std::to_string(live_children(nullptr)) + " children");
    signal_live(SIGKILL, false);
    phase_ = Phase::kKill;
    deadline_ = now + kTermGrace;
  }
}

void Supervisor::watch_poller_heartbeat(Clock::time_point now) {
  if (phase_ != Phase::kRunning || now < next_heartbeat_check_) return;
  next_heartbeat_check_ = now + std::chrono::seconds(1);
  const auto silence = std::chrono::milliseconds(cache::layout::kPollerSilenceMs);
  const int64_t beat = cache::layout::control_block(segment_->segment().base())
                           ->poller_heartbeat_ms.load(std::memory_order_acquire);
  const int64_t unix_now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  for (Slot& s : slots_) {
    if (s.pid <= 0 || s.retiring || std::string_view(s.role->name) != "poller") continue;
    // Judged from its own start: the beat may still be its predecessor's.
    const auto silent = std::min<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - s.started),
        std::chrono::milliseconds(unix_now - beat));
    if (silent <= silence) continue;
    kLog.warn("poller pid " + std::to_string(s.pid) + " sent no heartbeat for " +
              seconds_text(silent.count() / 1000.0) + " (stopped or hung): killing it");
    kill(s.pid, SIGKILL);
  }
}

void Supervisor::reload() {
  auto fresh = config::load_config(config_path_);
  if (!fresh.is_ok()) {
    kLog.error("reload refused, keeping the running config: " + fresh.status().message());
    return;
  }
  sd_notify("RELOADING=1");
  config::Config next = std::move(fresh).value();
  // The servers added over REST come with every reload (a change over REST sends SIGHUP).
  if (Status st = add_stored_servers(&next); !st.is_ok()) {
    kLog.error("reload: the servers added over REST are left out: " + st.message());
  }
  // The sockets and the segment live as long as the master: these keys need a restart.
  bool paths_changed = false;
  for (const SocketSpec& s : socket_table()) paths_changed |= s.path(next) != s.path(config_);
  if (paths_changed || next.socket_mode != config_.socket_mode ||
      next.cache_size_mb != config_.cache_size_mb || next.backlog != config_.backlog) {
    kLog.warn("reload: server.socket, socket_mode, backlog, cache.size_mb and the role sockets "
              "(stream.socket) apply after a restart");
  }
  next.socket = config_.socket;
  next.stream_socket = config_.stream_socket;
  next.stream_console_socket = config_.stream_console_socket;
  next.socket_mode = config_.socket_mode;
  next.backlog = config_.backlog;
  next.cache_size_mb = config_.cache_size_mb;
  config_ = std::move(next);
  log::Level level;
  if (log::parse_level(config_.log_level, &level)) log::set_level(level);
  for (Slot& s : slots_) s.retiring = true;
  slots_.remove_if([](const Slot& s) { return s.pid == 0; });
  signal_live(SIGQUIT, true);
  ++generation_;
  add_slots();
  spawn_due(Clock::now());
  kLog.info("reloaded " + config_path_ + ": generation " + std::to_string(generation_));
  sd_notify("READY=1");
}

void Supervisor::handle_signal(int sig) {
  switch (sig) {
    case SIGCHLD: reap(); break;
    case SIGTERM:
    case SIGINT:
    case SIGQUIT: begin_stop(); break;
    case SIGHUP:
      if (phase_ == Phase::kRunning) reload();
      break;
    default: break;
  }
}

int Supervisor::timeout_ms(Clock::time_point now) const {
  auto next = Clock::time_point::max();
  if (phase_ != Phase::kRunning) next = deadline_;
  for (const Slot& s : slots_) {
    if (s.pid == 0 && !s.retiring) next = std::min(next, std::max(s.restart_at, now + std::chrono::milliseconds(50)));
  }
  if (phase_ == Phase::kRunning && credential_watch_) next = std::min(next, credential_watch_->next_check());
  if (phase_ == Phase::kRunning) next = std::min(next, next_heartbeat_check_);
  if (next == Clock::time_point::max()) return -1;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
}

bool Supervisor::open_sockets() {
  for (const SocketSpec& spec : socket_table()) {
    auto sock = ListenSocket::open(spec.path(config_), config_.socket_mode_bits(),
                                   static_cast<int>(config_.backlog));
    if (!sock.is_ok()) {
      kLog.error(sock.status().message());
      sockets_.clear();  // removes the ones opened so far
      return false;
    }
    sockets_.emplace(std::string(spec.name), std::move(sock).value());
  }
  return true;
}

int Supervisor::run() {
  master_pid_ = getpid();
  signal(SIGPIPE, SIG_IGN);
  pipe_ = std::make_unique<SelfPipe>();
  auto segment = SharedSegment::create(config_);
  if (!segment.is_ok()) {
    kLog.error("cannot create the shared segment: " + segment.status().to_string());
    return 1;
  }
  segment_ = std::move(segment).value();
  credential_watch_ = std::make_unique<CredentialWatch>(
      config_, cache::layout::control_block(segment_->segment().base()));
  if (!open_sockets()) return 1;
  add_slots();
  spawn_due(Clock::now());
  kLog.info("listening on " + config_.socket + " with " + std::to_string(config_.workers) +
            " workers x " + std::to_string(config_.threads) + " threads, " +
            std::to_string(config_.pools.size()) + " pool(s)");
  sd_notify("READY=1");
  while (phase_ == Phase::kRunning || live_children(nullptr) > 0) {
    pollfd pfd{pipe_->read_fd(), POLLIN, 0};
    poll(&pfd, 1, timeout_ms(Clock::now()));
    for (int sig : pipe_->read_signals()) handle_signal(sig);
    reap();  // a SIGCHLD may have been merged with another
    const auto now = Clock::now();
    escalate(now);
    spawn_due(now);
    if (phase_ == Phase::kRunning) credential_watch_->check(Clock::now());
    watch_poller_heartbeat(Clock::now());
  }
  kLog.info("stopped");
  return 0;
}

}  // namespace xr::app

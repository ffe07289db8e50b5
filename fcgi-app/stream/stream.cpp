#include "stream/stream.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>

#include "base/log.h"
#include "console/console_server.h"
#include "master/shared_segment.h"
#include "metrics/metrics.h"
#include "store/open.h"
#include "stream/open_stream.h"
#include "stream/stream_routes.h"
#include "worker/cache_access.h"
#include "cache/layout.h"
#include "worker/credential_cache.h"
#include "worker/login_guard.h"

namespace xr::app {

namespace {

const log::Logger kLog("stream");
using Clock = std::chrono::steady_clock;
constexpr auto kTermGrace = std::chrono::seconds(1);  // SIGTERM: flush what can be, then go

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The one helper thread: turns the cache's futex word into an eventfd the loop polls
// (a futex cannot be waited on with epoll).
class Waker {
 public:
  Waker(const cache::Reader& reader, int event_fd) : reader_(reader), event_fd_(event_fd) {
    thread_ = std::thread([this] { run(); });
  }
  ~Waker() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    uint32_t seen = reader_.change_word();
    while (!stop_) {
      const uint32_t now = reader_.wait_for_change(seen, 500);
      if (now == seen) continue;
      seen = now;
      const uint64_t one = 1;
      (void)!write(event_fd_, &one, sizeof one);
    }
  }
  const cache::Reader& reader_;
  int event_fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class Loop {
 public:
  // `on_stop`: called once when the role starts stopping (the consoles end then).
  Loop(const ChildEnv& env, Services& svc, const cache::Reader& reader, std::function<void()> on_stop)
      : env_(env),
        on_stop_(std::move(on_stop)),
        hub_(reader, FilterLimits{static_cast<uint64_t>(env.config.filter_match_budget),
                                  env.config.filter_time_budget_ms}),
        board_(nullptr, hub_),
        ss_{svc, hub_, board_, static_cast<size_t>(env.config.stream_client_buffer_kb) * 1024} {}
  int run();

 private:
  // Writes to the connections the hub marked touched, but `skip` (a connection the caller
  // is still working on, which it writes itself: flushed here, it could be dropped under it).
  void flush_touched(int skip = -1);
  void accept_all();
  void on_connection(Connection& c, uint32_t events);
  void drop(int fd);
  void want_write(Connection& c, bool on);
  void begin_stop(int sig);
  // Ends the open requests with their stop text; `hold`: not the held-through-stop waits.
  void end_open_requests(bool hold);

  const ChildEnv& env_;
  std::function<void()> on_stop_;
  WatchHub hub_;
  TaskBoard board_;
  StreamServices ss_;
  int task_fd_ = -1;
  int epoll_ = -1;
  int signal_fd_ = -1;
  int event_fd_ = -1;
  std::unordered_map<int, std::unique_ptr<Connection>> conns_;
  bool stopping_ = false;
  bool holding_ = false;  // a graceful stop: handed-off waits are still answered (see begin_stop)
  Clock::time_point deadline_{};
};

void Loop::want_write(Connection& c, bool on) {
  if (c.polling_writable == on) return;
  c.polling_writable = on;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
  ev.data.fd = c.fd();
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd(), &ev);
}

void Loop::drop(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  conns_.erase(fd);  // closes the socket
  metrics::set_open_streams(static_cast<int64_t>(conns_.size()));
}

void Loop::accept_all() {
  for (;;) {
    const int fd = accept4(env_.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) kLog.warn(std::string("accept: ") + std::strerror(errno));
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    conns_.emplace(fd, std::make_unique<Connection>(fd));
    metrics::set_open_streams(static_cast<int64_t>(conns_.size()));
  }
}

void Loop::on_connection(Connection& c, uint32_t events) {
  const int fd = c.fd();
  if ((events & EPOLLIN) != 0 || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    const bool open = c.read_some();
    for (;;) {
      const auto event = c.process_input();
      if (event == Connection::Event::kNone) break;
      if (event == Connection::Event::kBroken || event == Connection::Event::kAborted) {
        drop(fd);  // nginx gave up on the request (client gone): nothing to say
        return;
      }
      if (stopping_ && !holding_) {
        c.send(stopped_answer("the server is stopping", "retry"));
        c.end();
      } else {
        handle_stream_request(c, ss_, stopping_);
        // Other watchers of a view it brought up to date. Not `c`: a wait answered at once
        // (its task ended before the wait came) touched its own connection, and flushing it
        // here dropped it while this loop still used it: a heap corruption that killed the
        // role (SIGABRT, "malloc(): unsorted double linked list corrupted") under load, nginx
        // then answering its 503 (gateway_actions, gateway_actions_catalogue).
        flush_touched(fd);
      }
    }
    if (!open) {  // nginx closed its side: the client is gone
      drop(fd);
      return;
    }
  }
  if (!c.write_some()) {
    drop(fd);
    return;
  }
  if (c.pending() == 0 && c.closing()) {
    drop(fd);
    return;
  }
  want_write(c, c.pending() > 0);
}

// SIGQUIT (a reload: the next instance already listens on the same socket; or a stop of the
// service): no new connection; watches and event streams end now (their clients reconnect);
// a handed-off wait is held until its task gets there, up to the stop deadline, since a
// runner finishes the actions it runs: answering it 503 "wait again" the moment a reload
// starts failed sync actions that succeeded (integration.gateway_actions, a 503 after a
// SIGHUP on a loaded machine). SIGTERM, or the deadline: every open request ends now.
void Loop::begin_stop(int sig) {
  const auto now = Clock::now();
  if (!stopping_) {
    kLog.info("stopping: ending " + std::to_string(conns_.size()) + " open requests");
    epoll_ctl(epoll_, EPOLL_CTL_DEL, env_.listen_fd, nullptr);
    stopping_ = true;
    holding_ = sig == SIGQUIT;
    deadline_ = now + std::chrono::seconds(env_.config.shutdown_timeout);
    if (on_stop_) on_stop_();
  }
  if (sig == SIGTERM) {
    holding_ = false;
    deadline_ = std::min(deadline_, now + kTermGrace);
  }
  end_open_requests(holding_);
}

void Loop::end_open_requests(bool hold) {
  for (auto it = conns_.begin(); it != conns_.end();) {
    Connection& c = *it->second;
    ++it;
    if (!c.in_request()) {
      // Held: a connection accepted just before the stop, its request still on the way
      // (answered when it comes), or an answer still being flushed.
      if (!hold) drop(c.fd());
      continue;
    }
    if (hold && c.stream && c.stream->held_through_stop()) continue;
    if (c.stream) c.send(c.stream->stop_text("the server is stopping"));
    c.end();
    on_connection(c, 0);  // flush now; may drop it
  }
}

void Loop::flush_touched(int skip) {
  for (int fd : hub_.take_touched()) {
    if (fd == skip) continue;
    if (auto it = conns_.find(fd); it != conns_.end()) on_connection(*it->second, 0);
  }
}

int Loop::run() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  task_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGQUIT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (epoll_ < 0 || signal_fd_ < 0 || event_fd_ < 0 || task_fd_ < 0) {
    kLog.error(std::string("epoll/signalfd: ") + std::strerror(errno));
    return 1;
  }
  // The listening socket is this role's alone (the master never accepts on it).
  fcntl(env_.listen_fd, F_SETFL, fcntl(env_.listen_fd, F_GETFL) | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = env_.listen_fd;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, env_.listen_fd, &ev);
  ev.data.fd = signal_fd_;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, signal_fd_, &ev);
  ev.data.fd = event_fd_;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, event_fd_, &ev);
  ev.data.fd = task_fd_;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, task_fd_, &ev);
  Waker waker(hub_.reader(), event_fd_);
  // XO tasks come from a thread on its own database connection (the loop never blocks on it).
  TaskFeed feed(env_.config,
                std::make_unique<FutexTaskWakeup>(cache::layout::control_block(env_.segment->segment().base())),
                task_fd_);
  board_.set_feed(&feed);
  kLog.info("serving long-lived requests");
  int64_t next_tick = wall_ms() + 1000;

  epoll_event events[256];
  for (;;) {
    if (stopping_) {
      if (conns_.empty()) break;
      if (Clock::now() >= deadline_) {
        holding_ = false;
        end_open_requests(false);  // the held waits get their stop text (one write each)
        if (!conns_.empty()) kLog.warn("stop deadline passed: " + std::to_string(conns_.size()) + " connections cut");
        break;
      }
    }
    const int timeout = stopping_ ? 50 : 1000;
    const int n = epoll_wait(epoll_, events, 256, timeout);
    if (n < 0 && errno != EINTR) {
      kLog.error(std::string("epoll_wait: ") + std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd_) {
        signalfd_siginfo si{};
        while (read(signal_fd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
          if (si.ssi_signo == SIGQUIT || si.ssi_signo == SIGTERM) begin_stop(static_cast<int>(si.ssi_signo));
        }
      } else if (fd == event_fd_) {
        uint64_t count = 0;
        (void)!read(event_fd_, &count, sizeof count);
        if (!stopping_) hub_.advance_all(ss_.client_buffer);
        flush_touched();
      } else if (fd == task_fd_) {
        uint64_t count = 0;
        (void)!read(task_fd_, &count, sizeof count);
        for (TaskBatch& b : feed.take()) board_.apply(std::move(b));  // also while waits are held
        flush_touched();
      } else if (fd == env_.listen_fd) {
        if (!stopping_) accept_all();
      } else if (auto it = conns_.find(fd); it != conns_.end()) {
        on_connection(*it->second, events[i].events);
      }
    }
    if (const int64_t now = wall_ms(); now >= next_tick && !stopping_) {
      hub_.tick(now);
      board_.tick(now);
      flush_touched();
      next_tick = now + 1000;
    }
  }
  conns_.clear();  // before the feed goes (streams leave the board)
  board_.set_feed(nullptr);
  kLog.info("stopped");
  return 0;
}

}  // namespace

int run_stream(const ChildEnv& env) {
  signal(SIGPIPE, SIG_IGN);
  auto db = store::open(env.config);
  auto auth = db.is_ok() ? auth::AuthStore::open(**db) : Result<std::unique_ptr<auth::AuthStore>>(db.status());
  if (!auth.is_ok()) {
    kLog.error("cannot open the database: " + auth.status().to_string());
    return 1;
  }
  CredentialCache credentials(&cache::layout::control_block(env.segment->segment().base())->credentials_gen);
  CacheAccess cache(env.segment->segment(), env.config);
  Services svc{env.config, **db, **auth, credentials, &cache};
  // The same throttle and shared hash slots as the workers; an event loop never waits for one.
  LoginGuard login(cache::layout::control_block(env.segment->segment().base())->login_hash_slots,
                   LoginGuard::kHashSlots, std::chrono::milliseconds(0));
  svc.login = &login;
  // The VM consoles (WebSocket via nginx's proxy on the console socket): own threads and
  // their own Services, since `svc` belongs to the loop's thread.
  auto console_db = store::open(env.config);
  auto console_auth = console_db.is_ok() ? auth::AuthStore::open(**console_db)
                                         : Result<std::unique_ptr<auth::AuthStore>>(console_db.status());
  if (!console_auth.is_ok()) {
    kLog.error("cannot open the database: " + console_auth.status().to_string());
    return 1;
  }
  Services console_svc{env.config, **console_db, **console_auth, credentials, &cache};
  console_svc.login = &login;
  ConsoleServer consoles(env, console_svc);
  Loop loop(env, svc, cache.reader(), [&consoles] { consoles.stop(); });
  return loop.run();
}

}  // namespace xr::app

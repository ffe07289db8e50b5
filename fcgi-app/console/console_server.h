// The VM console bridge of the stream role. nginx proxies WebSocket upgrades of
// `/api/consoles/<vm id>` as plain HTTP to the role's console socket (FastCGI cannot carry
// a WebSocket); each accepted connection gets its own thread that checks the request
// (route, handshake headers, same-site Origin, credentials as the workers read them, admin),
// finds the VM in the cache (running), asks XAPI for its RFB console, opens xapi's CONNECT
// tunnel, answers 101 and bridges bytes (console_bridge.h) until either side ends.
// Threads, not the stream loop: opening a console blocks (argon2 for Basic, SQLite, XAPI
// login and calls, TLS), consoles are few, and a blocked loop would stall every watch.
// Built and destroyed by the stream role's main thread.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "master/child_env.h"
#include "routes/context.h"
#include "worker/pool_sessions.h"

namespace xr::app {

class CacheAccess;
class CredentialCache;
class LoginGuard;
struct UpgradeRequest;

class ConsoleServer {
 public:
  // Starts accepting on env.http_fd (nothing when it is -1). `svc` (the role's database,
  // credentials and login guard) is used under a mutex; it must outlive this object.
  ConsoleServer(const ChildEnv& env, Services& svc);
  // Stops accepting and ends every open console with a close frame (1001); idempotent.
  // Called when the role starts stopping (its loop may still drain other requests).
  void stop();
  // stop(), then joins the threads.
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  // What an opening learned so far, for its audit record (audit/request_audit.h).
  struct Opening {
    std::optional<auth::User> user;
    std::string vm_id;
  };
  void accept_loop();
  void serve(int fd);
  Status open_console(int fd, const UpgradeRequest& req, Request& request, Opening* opening,
                      std::string* error_data);
  void reap(bool all);

  const ChildEnv& env_;
  Services& svc_;
  std::mutex svc_mu_;  // Services (SQLite, login guard) are one thread's at a time
  PoolSessions sessions_;
  int stop_fd_ = -1;  // eventfd: readable once stopping
  std::atomic<int> open_{0};
  std::thread acceptor_;
  std::mutex workers_mu_;
  std::list<std::unique_ptr<Worker>> workers_;
};

}  // namespace xr::app

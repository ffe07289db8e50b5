// What a route handler gets: the request, the response, the authenticated user, and the
// services of its worker thread. Worker request thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_store.h"
#include "config/config.h"
#include "store/db.h"
#include "tasks/task_store.h"
#include "worker/request.h"
#include "worker/response.h"

namespace xr::idempotency {
class IdempotencyStore;
}

namespace xr::app {

class CredentialCache;
class ListFiles;
class LoginGuard;
class CacheAccess;
class XapiReads;
class TaskSignals;
class TransferSessions;
class XapiWrites;
class RateLimiter;
struct Route;

// Per worker thread; built once by the worker and reused for every request.
struct Services {
  const config::Config& config;
  store::Db& db;                   // this thread's database connection (lib/store)
  auth::AuthStore& auth;           // users and tokens, on `db`
  CredentialCache& credentials;    // shared by the threads of one worker process
  CacheAccess* cache = nullptr;    // the shared object cache; null until it exists
  XapiReads* xapi = nullptr;       // read-only XAPI calls (stats, plugins, logs); per process
  tasks::TaskStore* tasks = nullptr;  // XO tasks (lib/tasks), on `db`; null in unit tests
  TaskSignals* task_signals = nullptr;  // ControlBlock's futex words (wait for tasks, wake the runner)
  LoginGuard* login = nullptr;     // password-login throttle and hash slots; per process
  TransferSessions* transfers = nullptr;  // XAPI sessions of exports and imports; per process
  XapiWrites* writes = nullptr;    // read-write XAPI sessions of the mutations; per process
  idempotency::IdempotencyStore* idempotency = nullptr;  // Idempotency-Key answers, on `db`
  ListFiles* list_files = nullptr;  // lists rendered for nginx to send; null: never; per process
  RateLimiter* rate_limiter = nullptr;  // [limits] counted in the shared segment; null: none
};

// The Idempotency-Key a request claimed (routes/idempotency.h); `key` empty: none.
struct IdempotencyClaim {
  std::string key;
  std::string owner;    // the process holding it
  std::string body;     // the answer's body as written
};

struct Context {
  Request& req;
  Response& res;
  Services& svc;
  std::vector<std::string> params;  // values of the {} segments of the route, in order
  std::optional<auth::User> user;   // set on routes that require authentication
  std::string error_data;           // JSON object text sent as "data" with an error return
  const Route* route = nullptr;     // the matched row of the route table (set before the handler)
  IdempotencyClaim idempotency = {};  // set by idempotency_begin()
};

// A handler writes a response and returns OK, or returns an error (written by the
// dispatcher as XO's error body when nothing was sent yet).
using Handler = Status (*)(Context&);

}  // namespace xr::app

// Session: an authenticated connection to a pool. Logs in with originator "xapi-rest",
// re-logs in transparently (one retry) on SESSION_INVALID, follows HOST_IS_SLAVE to the
// master, fails over to other pool members (learned from host records), logs out on
// destruction. Thread-safe; calls block. Never logs the session id or the password.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "xapi/http_client.h"
#include "xapi/rpc_call.h"

namespace xr::xapi {

// Called with the error of every failed RPC of every Session of the process (login,
// calls, event.from), from the calling thread; for the gateway's metrics. Set once at
// start (nullptr: none); the function must be thread-safe and must not block.
using RpcErrorObserver = void (*)(const Status&);
void set_rpc_error_observer(RpcErrorObserver observer);

struct SessionOptions {
  // Base URLs ("https://pool-master", "http://127.0.0.1:8080"); a bare host means https.
  std::vector<std::string> hosts;
  std::string user;
  std::string password;
  std::string originator = "xapi-rest";
  // JSON-RPC by measurement (tests/bench/xapi_parse_bench.sh: faster per record, both
  // stream with bounded memory); a host without /jsonrpc makes the session fall back
  // to XML-RPC at login, as Xen Orchestra does.
  WireFormat format = WireFormat::kJsonRpc;
  EndpointOptions endpoint;
  // A login is small: a host that accepted the TCP connection but does not answer it is
  // given up on after this, not after the endpoint's rpc_timeout_ms meant for long calls
  // (a 10,000-VM event.from dump). 0 = the endpoint's rpc_timeout_ms.
  long login_timeout_ms = 15'000;
};

class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();  // best-effort logout
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Logs in (again). Tries the current master, then the configured and learned hosts.
  // A wrong password is kXapi SESSION_AUTHENTICATION_FAILED (no other host is tried).
  Status login();
  Status logout();

  // `method(session, params...)`; logs in first if needed. On SESSION_INVALID: re-login
  // and one retry. When the master cannot be reached: fail-over, then one retry.
  Result<Value> call(std::string_view method, std::vector<Value> params,
                     const CallOptions& options = {});
  // A call without the session parameter (system.listMethods).
  Result<Value> call_unauthenticated(std::string_view method, std::vector<Value> params);
  // `Async.<method>`: returns the task ref.
  Result<std::string> call_async(std::string_view method, std::vector<Value> params);

  // The current master's base URL and session ref (for the raw HTTP handlers).
  struct Credentials {
    std::string base_url;
    std::string session_ref;
    uint64_t generation = 0;
  };
  Result<Credentials> credentials();
  // Incremented by every successful login; a change means "new session, resync".
  uint64_t generation() const { return generation_.load(); }
  const SessionOptions& options() const { return options_; }
  WireFormat format() const { return format_.load(); }
  HandlePool& handles() { return pool_; }

 private:
  Status login_locked();
  Status login_at(const std::string& url);
  void learn_hosts_locked(HttpClient& http);
  Status relogin_if_unchanged(uint64_t seen_generation);
  Result<Value> rpc(const std::string& url, std::string_view method,
                    const std::vector<Value>& params, const CallOptions& options);

  SessionOptions options_;
  HandlePool pool_;
  std::mutex mu_;  // guards url_, session_ref_, known_hosts_
  std::string url_;
  std::string session_ref_;
  std::vector<std::string> known_hosts_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<WireFormat> format_;
};

// SESSION_INVALID carries the (secret) session ref as its parameter: this returns the
// status without it, safe for logs and for clients. Other statuses are returned as is.
Status without_session_ref(Status s);

// "10.0.0.2" → "https://10.0.0.2[:port of current]"; bare IPv6 gets brackets;
// "host:port" and URLs with a scheme are kept.
std::string host_to_url(std::string_view address, std::string_view current_url);

}  // namespace xr::xapi

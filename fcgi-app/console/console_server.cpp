#include "console/console_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "audit/request_audit.h"
#include "base/log.h"
#include "console/console_bridge.h"
#include "console/upgrade_request.h"
#include "console/websocket.h"
#include "routes/authenticate.h"
#include "routes/http_errors.h"
#include "routes/scope_check.h"
#include "worker/cache_access.h"
#include "xapi/console_tunnel.h"

namespace xr::app {

namespace {

const log::Logger kLog("console");
constexpr size_t kMaxHead = 16 * 1024;
constexpr int kHeadTimeoutMs = 10'000;

long now_ms() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count());
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The request head (without the blank line), or "" on timeout, EOF or an oversized head.
std::string read_head(int fd, int stop_fd) {
  std::string head;
  const long deadline = now_ms() + kHeadTimeoutMs;
  for (;;) {
    const size_t end = head.find("\r\n\r\n");
    if (end != std::string::npos) return head.substr(0, end);
    if (head.size() > kMaxHead) return {};
    const long left = deadline - now_ms();
    if (left <= 0) return {};
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(p, 2, static_cast<int>(left)) < 0 && errno != EINTR) return {};
    if (p[1].revents != 0) return {};
    if (p[0].revents == 0) continue;
    char buf[4096];
    // Only the head: the WebSocket frames that may follow it stay in the socket.
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK);
    if (n <= 0) return {};
    const std::string_view got(buf, static_cast<size_t>(n));
    const size_t old = head.size();
    head.append(got);
    const size_t end2 = head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    const size_t take = end2 == std::string::npos ? got.size() : end2 + 4 - old;
    head.resize(old + take);
    if (::recv(fd, buf, take, 0) != static_cast<ssize_t>(take)) return {};
  }
}

// An error as XO writes it (routes/http_errors), as an HTTP/1.1 response that closes.
void send_error(int fd, const Status& status, std::string_view data_json) {
  std::string cgi;
  Response res(&cgi, false);
  write_error(res, status, data_json);
  const size_t end = cgi.find("\r\n\r\n");
  if (end == std::string::npos || cgi.compare(0, 8, "Status: ") != 0) return;
  const std::string body = cgi.substr(end + 4);
  const std::string head = "HTTP/1.1 " + cgi.substr(8, end - 8) + "\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  (void)write_all(fd, head + body);
}

std::string member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// What the console needs of the VM, from the cache.
struct VmTarget {
  std::string ref;
  std::string pool;  // configured pool name
  std::string power_state;
};

Status find_vm(const CacheAccess& cache, const std::string& id, VmTarget* out, std::string* error_data) {
  std::string json;
  // XO 6 opens a host's console with the id of its control domain.
  if (!cache.reader().get_json("vms", id, json) && !cache.reader().get_json("vm-controllers", id, json)) {
    return no_such("VM", id, error_data);
  }
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (!doc.IsObject()) return Status(ErrorKind::kInternal, "cached object is not JSON");
  out->ref = member(doc, "_xapiRef");
  out->power_state = member(doc, "power_state");
  const std::string pool_id = member(doc, "$pool");
  for (const cache::PoolStatus& st : cache.reader().pool_statuses()) {
    if (st.pool_id == pool_id) out->pool = st.key;
  }
  if (out->pool.empty()) return Status(ErrorKind::kUnavailable, "the pool of this VM is not connected");
  return Status::ok();
}

// The location of the VM's RFB console (xapi's default console is its RFB one).
Result<std::string> rfb_location(xapi::Session& session, const std::string& vm_ref) {
  XR_ASSIGN_OR_RETURN(xapi::Value consoles, session.call("VM.get_consoles", {xapi::Value::string(vm_ref)}));
  XR_ASSIGN_OR_RETURN(const xapi::Value::Array* refs, consoles.as_array());
  for (const xapi::Value& ref : *refs) {
    XR_ASSIGN_OR_RETURN(std::string_view r, ref.as_string());
    XR_ASSIGN_OR_RETURN(xapi::Value rec, session.call("console.get_record", {xapi::Value::string(std::string(r))}));
    if (rec.get_string("protocol") == "rfb") return std::string(rec.get_string("location"));
  }
  return Status(ErrorKind::kConflict, "the VM has no RFB console");
}

void block_signals_here() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

}  // namespace

ConsoleServer::ConsoleServer(const ChildEnv& env, Services& svc)
    : env_(env), svc_(svc), sessions_(env.config, "xapi-rest console", 30'000) {
  if (env_.http_fd < 0) return;
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  fcntl(env_.http_fd, F_SETFL, fcntl(env_.http_fd, F_GETFL) | O_NONBLOCK);
  // Threads start with every signal blocked: the role's signalfd must get them all.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  acceptor_ = std::thread([this] { accept_loop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void ConsoleServer::stop() {
  if (stop_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);  // an eventfd stays readable: once is enough
}

ConsoleServer::~ConsoleServer() {
  if (stop_fd_ < 0) return;
  stop();
  acceptor_.join();
  reap(true);
  close(stop_fd_);
}

void ConsoleServer::reap(bool all) {
  std::lock_guard lock(workers_mu_);
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (all || (*it)->done) {
      (*it)->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void ConsoleServer::accept_loop() {
  block_signals_here();
  for (;;) {
    pollfd p[2] = {{env_.http_fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(p, 2, 5000) < 0 && errno != EINTR) break;
    if (p[1].revents != 0) break;
    reap(false);
    if (p[0].revents == 0) continue;
    const int fd = accept4(env_.http_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN (another process took it), ECONNABORTED, ...
    auto w = std::make_unique<Worker>();
    Worker* raw = w.get();
    std::lock_guard lock(workers_mu_);
    workers_.push_back(std::move(w));
    raw->thread = std::thread([this, fd, raw] {
      serve(fd);
      close(fd);
      raw->done = true;
    });
  }
}

void ConsoleServer::serve(int fd) {
  const std::string head = read_head(fd, stop_fd_);
  if (head.empty()) return;
  auto req = parse_upgrade_head(head);
  if (!req.is_ok()) return send_error(fd, req.status(), "");
  std::string error_data;
  Request request(request_env(*req), "");
  Opening opening;
  const int open_now = ++open_;
  Status s = open_now > env_.config.stream_max_consoles
                 ? Status(ErrorKind::kUnavailable, "too many consoles open, try again later")
                 : open_console(fd, *req, request, &opening, &error_data);
  --open_;
  if (s.is_ok()) return;  // opened (audited at its 101) or the client left before it
  send_error(fd, s, error_data);
  // A refused console is a security event too (another site's page, a bad token, a scope).
  audit_console(svc_, request, opening.user, opening.vm_id, http_status(s));
}

// Everything before the 101; an error is returned before anything was written to `fd`.
Status ConsoleServer::open_console(int fd, const UpgradeRequest& req, Request& request, Opening* opening,
                                   std::string* error_data) {
  XR_ASSIGN_OR_RETURN(opening->vm_id, console_vm_id(req));
  const std::string& vm_id = opening->vm_id;
  XR_RETURN_IF_ERROR(check_websocket_headers(req));
  XR_RETURN_IF_ERROR(check_same_origin(req));
  std::optional<auth::User>& user = opening->user;
  {
    std::string ignored;
    Response res(&ignored, false);
    std::lock_guard lock(svc_mu_);
    XR_ASSIGN_OR_RETURN(user, authenticate(request, svc_, res));
  }
  if (!user) return Status(ErrorKind::kUnauthorized, "missing credentials");
  if (user->permission != "admin") return Status(ErrorKind::kForbidden, "not enough permissions");
  {
    // The console drives the VM (keyboard, mouse): a change, the action "console" of scopes.
    std::string ignored;
    Response res(&ignored, false);
    Context ctx{request, res, svc_, {}, user, {}, nullptr, {}};
    std::lock_guard lock(svc_mu_);
    Status allowed = check_scope(ctx, ScopedRequest{true, "vms", "console", vm_id, false, false});
    *error_data = ctx.error_data;
    XR_RETURN_IF_ERROR(allowed);
  }
  VmTarget vm;
  XR_RETURN_IF_ERROR(find_vm(*svc_.cache, vm_id, &vm, error_data));
  if (vm.power_state != "Running") {
    return Status(ErrorKind::kConflict, "the VM is not running (power_state " + vm.power_state + ")");
  }
  XR_ASSIGN_OR_RETURN(xapi::Session * session, sessions_.get(vm.pool));
  auto location = rfb_location(*session, vm.ref);
  if (!location.is_ok()) return xapi::without_session_ref(location.status());
  XR_ASSIGN_OR_RETURN(xapi::Session::Credentials creds, session->credentials());
  auto tunnel = xapi::ConsoleTunnel::open(*location, creds.base_url, creds.session_ref, session->options().endpoint);
  if (!tunnel.is_ok()) return tunnel.status();

  std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: " + ws::accept_key(req.header("sec-websocket-key")) + "\r\n";
  if (const std::string proto = pick_subprotocol(req); !proto.empty()) answer += "Sec-WebSocket-Protocol: " + proto + "\r\n";
  answer += "\r\n";
  if (!write_all(fd, answer)) return Status::ok();
  audit_console(svc_, request, user, vm_id, 101);
  kLog.info("console of VM " + vm_id + " opened by " + user->name);
  const auto started = std::chrono::steady_clock::now();
  const BridgeTotals t = run_bridge(fd, **tunnel, (*tunnel)->take_early_bytes(), stop_fd_);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  kLog.info("console of VM " + vm_id + " closed (" + t.ended_by + ") after " + std::to_string(secs).substr(0, 5) +
            " s: " + std::to_string(t.from_console) + " bytes from it, " + std::to_string(t.to_console) + " to it");
  return Status::ok();
}

}  // namespace xr::app

#include "xapi/session.h"

#include <algorithm>

#include "base/log.h"

namespace xr::xapi {
namespace {

constexpr log::Logger kLog("xapi");

bool is_xapi(const Status& s, std::string_view code) {
  return s.kind() == ErrorKind::kXapi && s.code() == code;
}

// scheme://host[:port] of a URL → {scheme, port suffix ":N" or ""}.
std::pair<std::string, std::string> scheme_and_port(std::string_view url) {
  std::string scheme = "https";
  size_t p = url.find("://");
  if (p != std::string_view::npos) {
    scheme = std::string(url.substr(0, p));
    url.remove_prefix(p + 3);
  }
  url = url.substr(0, url.find('/'));
  size_t close = url.rfind(']');
  size_t colon = url.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close) &&
      url.find(':') == colon)
    return {scheme, std::string(url.substr(colon))};
  if (close != std::string_view::npos && colon != std::string_view::npos && colon > close)
    return {scheme, std::string(url.substr(colon))};
  return {scheme, ""};
}

std::string normalize(std::string_view host) {
  if (host.find("://") != std::string_view::npos) {
    std::string s(host);
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  }
  return "https://" + std::string(host);
}

}  // namespace

Status without_session_ref(Status s) {
  if (s.kind() != ErrorKind::kXapi || s.code() != "SESSION_INVALID" || s.params().empty()) return s;
  return Status::xapi("SESSION_INVALID", {});
}

std::string host_to_url(std::string_view address, std::string_view current_url) {
  if (address.find("://") != std::string_view::npos) return normalize(address);
  auto [scheme, port] = scheme_and_port(current_url);
  size_t colons = std::count(address.begin(), address.end(), ':');
  if (colons > 1 && address.front() != '[')
    return scheme + "://[" + std::string(address) + "]" + port;
  if (colons == 1 && address.front() != '[') return scheme + "://" + std::string(address);
  if (address.front() == '[' && address.back() != ']') return scheme + "://" + std::string(address);
  return scheme + "://" + std::string(address) + port;
}

Session::Session(SessionOptions options)
    : options_(std::move(options)), pool_(options_.endpoint), format_(options_.format) {
  for (const std::string& h : options_.hosts) known_hosts_.push_back(normalize(h));
  if (!known_hosts_.empty()) url_ = known_hosts_.front();
}

Session::~Session() { (void)logout(); }

namespace {
std::atomic<RpcErrorObserver> g_rpc_error_observer{nullptr};
}  // namespace

void set_rpc_error_observer(RpcErrorObserver observer) { g_rpc_error_observer.store(observer); }

Result<Value> Session::rpc(const std::string& url, std::string_view method,
                           const std::vector<Value>& params, const CallOptions& options) {
  auto http = pool_.acquire();
  Result<Value> r = rpc_call(*http, options_.endpoint, url, format_.load(), method, params, options);
  if (!r.is_ok()) {
    if (RpcErrorObserver observe = g_rpc_error_observer.load(std::memory_order_relaxed)) observe(r.status());
  }
  return r;
}

Status Session::login_at(const std::string& url) {
  std::vector<Value> params = {Value::string(options_.user), Value::string(options_.password),
                               Value::string("1.0"), Value::string(options_.originator)};
  CallOptions bounded;
  bounded.timeout_ms = options_.login_timeout_ms;
  Result<Value> r = rpc(url, "session.login_with_password", params, bounded);
  if (!r.is_ok() && r.status().message().rfind(kNoJsonRpcPrefix, 0) == 0) {
    // Say what was seen (an old host's 404, an HTML page, a proxy's 500...), not a guess.
    const std::string seen = r.status().message().substr(kNoJsonRpcPrefix.size());
    kLog.info("host " + url + " answered POST /jsonrpc with " + seen + "; trying XML-RPC");
    format_.store(WireFormat::kXmlRpc);
    r = rpc(url, "session.login_with_password", params, bounded);
  }
  std::string target = url;
  if (!r.is_ok() && is_xapi(r.status(), "HOST_IS_SLAVE") && !r.status().params().empty()) {
    target = host_to_url(r.status().params()[0], url);
    kLog.info("host " + url + " is a pool member; following to master " + target);
    r = rpc(target, "session.login_with_password", params, bounded);
  }
  if (!r.is_ok()) return r.status();
  auto ref = r->as_string();
  if (!ref.is_ok()) return ref.status().with_context("session.login_with_password");
  url_ = target;
  session_ref_ = std::string(*ref);
  generation_.fetch_add(1);
  kLog.info("logged in to " + target + " as " + options_.user);
  return Status::ok();
}

void Session::learn_hosts_locked(HttpClient& http) {
  Result<Value> r = rpc_call(http, options_.endpoint, url_, format_.load(), "host.get_all_records",
                             {Value::string(session_ref_)}, {});
  if (!r.is_ok() || !r->is_struct()) return;
  for (const Member& m : **r->as_struct()) {
    std::string_view address = m.value.get_string("address");
    if (address.empty()) continue;
    std::string url = host_to_url(address, url_);
    if (std::find(known_hosts_.begin(), known_hosts_.end(), url) == known_hosts_.end())
      known_hosts_.push_back(url);
  }
}

Status Session::login_locked() {
  std::vector<std::string> candidates;
  if (!url_.empty()) candidates.push_back(url_);
  for (const std::string& h : known_hosts_)
    if (std::find(candidates.begin(), candidates.end(), h) == candidates.end())
      candidates.push_back(h);
  if (candidates.empty()) return Status(ErrorKind::kInvalidArgument, "no XAPI host configured");
  Status last;
  for (const std::string& url : candidates) {
    last = login_at(url);
    if (last.is_ok()) {
      auto http = pool_.acquire();
      learn_hosts_locked(*http);
      return last;
    }
    if (last.kind() == ErrorKind::kXapi && !is_xapi(last, "HOST_STILL_BOOTING")) return last;
    kLog.warn("login at " + url + " failed: " + last.to_string());
  }
  return last;
}

Status Session::login() {
  std::lock_guard<std::mutex> lock(mu_);
  return login_locked();
}

Status Session::relogin_if_unchanged(uint64_t seen_generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_.load() != seen_generation && !session_ref_.empty()) return Status::ok();
  return login_locked();
}

Status Session::logout() {
  std::string url, ref;
  {
    std::lock_guard<std::mutex> lock(mu_);
    url.swap(url_);
    ref.swap(session_ref_);
    url_ = url;
  }
  if (ref.empty()) return Status::ok();
  CallOptions quick;
  quick.timeout_ms = 5000;
  Result<Value> r = rpc(url, "session.logout", {Value::string(ref)}, quick);
  return without_session_ref(r.status());
}

Result<Session::Credentials> Session::credentials() {
  std::lock_guard<std::mutex> lock(mu_);
  if (session_ref_.empty()) XR_RETURN_IF_ERROR(login_locked());
  return Credentials{url_, session_ref_, generation_.load()};
}

Result<Value> Session::call(std::string_view method, std::vector<Value> params,
                            const CallOptions& options) {
  std::vector<Value> full;
  full.reserve(params.size() + 1);
  full.push_back(Value::string(std::string()));
  for (Value& p : params) full.push_back(std::move(p));
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    XR_ASSIGN_OR_RETURN(Credentials c, credentials());
    full.front() = Value::string(std::move(c.session_ref));
    Result<Value> r = rpc(c.base_url, method, full, options);
    if (r.is_ok()) return r;
    last = r.status();
    // HOST_IS_SLAVE on an ordinary call: the master moved; login follows it.
    bool retry = is_xapi(last, "SESSION_INVALID") || is_xapi(last, "HOST_IS_SLAVE") ||
                 is_connect_failure(last);
    if (!retry || attempt == 1) break;
    kLog.info(std::string(method) + ": " +
              (is_connect_failure(last) ? "master unreachable" : "session invalid") +
              ", logging in again");
    XR_RETURN_IF_ERROR(relogin_if_unchanged(c.generation));
  }
  return without_session_ref(last);
}

Result<Value> Session::call_unauthenticated(std::string_view method, std::vector<Value> params) {
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    url = url_;
  }
  return rpc(url, method, params, {});
}

Result<std::string> Session::call_async(std::string_view method, std::vector<Value> params) {
  XR_ASSIGN_OR_RETURN(Value v, call("Async." + std::string(method), std::move(params)));
  XR_ASSIGN_OR_RETURN(std::string_view ref, v.as_string());
  return std::string(ref);
}

}  // namespace xr::xapi

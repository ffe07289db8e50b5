#include "worker/xapi_reads.h"

#include "poller/session_options.h"
#include "xapi/http_client.h"

namespace xr::app {

XapiReads::XapiReads(const config::Config& config) : sessions_(config, "xapi-rest reads", 30000) {}

Result<xapi::Session*> XapiReads::session(std::string_view pool) { return sessions_.get(pool); }

Result<xapi::Value> XapiReads::call(std::string_view pool, std::string_view method,
                                    std::vector<xapi::Value> params) {
  XR_ASSIGN_OR_RETURN(xapi::Session * s, session(pool));
  return s->call(method, std::move(params));
}

std::string XapiReads::member_url(std::string_view pool_url, std::string_view address) {
  std::string_view scheme = "https";
  std::string_view rest = pool_url;
  if (size_t p = rest.find("://"); p != std::string_view::npos) {
    scheme = rest.substr(0, p);
    rest.remove_prefix(p + 3);
  }
  rest = rest.substr(0, rest.find('/'));  // host[:port] or [v6]:port
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close != std::string_view::npos && close + 1 < rest.size() && rest[close + 1] == ':') {
      port = std::string(rest.substr(close + 1));
    }
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    port = std::string(rest.substr(colon));
  }
  std::string host(address);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  return std::string(scheme) + "://" + host + port;
}

Status XapiReads::get_into(std::string_view pool, std::string_view address, std::string_view path,
                           const xapi::Query& query, const xapi::BodySink& sink) {
  XR_ASSIGN_OR_RETURN(xapi::Session * s, session(pool));
  std::string pool_url;
  for (const auto& p : sessions_.config().pools) {
    if (p.name == pool) pool_url = p.url;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    XR_ASSIGN_OR_RETURN(xapi::Session::Credentials c, s->credentials());
    xapi::Query q = query;
    q.emplace_back("session_id", c.session_ref);
    xapi::HttpRequest req;
    req.method = "GET";
    req.url = xapi::build_url(member_url(pool_url, address), path, q);
    req.total_timeout_ms = 120'000;
    req.low_speed_time_s = 30;
    req.fail_on_error = true;  // an error page never reaches the sink
    req.sink = sink;
    auto lease = s->handles().acquire();
    Result<xapi::HttpResponse> r = lease->perform(req);
    if (r.is_ok()) return Status::ok();
    if (attempt == 0 && r.status().message().find("error: 401") != std::string::npos) {
      (void)s->call("pool.get_all", {});  // the session expired: any call logs in again
      continue;
    }
    return Status(r.status().kind(), std::string(path) + " on " + std::string(address) + ": " +
                                         r.status().message());
  }
  return Status(ErrorKind::kTransport, std::string(path) + ": unauthorised");
}

Result<std::string> XapiReads::get(std::string_view pool, std::string_view address, std::string_view path,
                                   const xapi::Query& query, size_t max_bytes) {
  std::string body;
  Status s = get_into(pool, address, path, query, [&](std::string_view chunk) {
    if (body.size() + chunk.size() > max_bytes) {
      return Status(ErrorKind::kResourceExhausted, std::string(path) + ": answer larger than expected");
    }
    body.append(chunk);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return body;
}

Status XapiReads::stream(std::string_view pool, std::string_view address, std::string_view path,
                         const xapi::Query& query, const xapi::BodySink& sink) {
  return get_into(pool, address, path, query, sink);
}

}  // namespace xr::app

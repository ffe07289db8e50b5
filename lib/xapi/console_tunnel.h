// ConsoleTunnel: a byte stream to a VM console through xapi's console handler: HTTP
// `CONNECT <location path>?<query>` on the host named by the console's `location`, the
// session as a `session_id` cookie (never in a URL), TLS as the pool's; after the 200
// the connection carries the console's protocol (RFB) both ways. open() blocks (bounded by
// the endpoint's connect timeout); read()/write() never block. One thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xapi/http_client.h"

namespace xr::xapi {

class ConsoleTunnel {
 public:
  // `location`: the console record's location ("https://10.0.0.2/console?uuid=…");
  // `base_url`: the pool's current master URL, whose scheme and port reach the location's
  // host (host_to_url). A refusal by xapi is kUnavailable with its HTTP status (401: the
  // session, 404/500: no console there, e.g. the VM stopped); kTransport when unreachable.
  static Result<std::unique_ptr<ConsoleTunnel>> open(std::string_view location, std::string_view base_url,
                                                     const std::string& session_ref,
                                                     const EndpointOptions& endpoint);
  ~ConsoleTunnel();
  ConsoleTunnel(const ConsoleTunnel&) = delete;
  ConsoleTunnel& operator=(const ConsoleTunnel&) = delete;

  int fd() const { return fd_; }  // to poll
  // Console bytes that arrived with the CONNECT answer (handed out once).
  std::string take_early_bytes() { return std::move(early_); }
  // > 0: bytes read; 0: the console closed; -1: nothing now (poll fd() and call again).
  // TLS may hold decrypted bytes the socket no longer shows: call read() until -1 before polling.
  Result<long> read(char* buf, size_t n);
  // Bytes accepted (0 = try again after POLLOUT).
  Result<size_t> write(const char* buf, size_t n);

 private:
  explicit ConsoleTunnel(void* curl) : curl_(curl) {}
  Status connect(std::string_view location, std::string_view base_url, const std::string& session_ref,
                 const EndpointOptions& endpoint);
  Status wait_fd(short events, long deadline_ms);

  void* curl_;  // CURL*
  int fd_ = -1;
  std::string early_;
};

// Splits a console location into the host (brackets kept for IPv6) and the request target
// ("/console?uuid=…"). kInvalidArgument when it is not an http(s) URL with a host.
Status split_console_location(std::string_view location, std::string* host, std::string* target);

}  // namespace xr::xapi

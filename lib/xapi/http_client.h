// HttpClient: one libcurl easy handle (RAII) doing blocking HTTP/1.1 exchanges with
// keep-alive, the TLS policy of the pool, timeouts, no `Expect: 100-continue`, and
// streaming bodies in both directions. Not thread-safe: one per thread (see HandlePool).
// REQUIRES: the process ignores SIGPIPE (CURLOPT_NOSIGNAL is set, and OpenSSL writes to a
// socket the peer closed would otherwise kill it); the gateway's master does this.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xr::xapi {

// TLS policy. kPinPublicKey compares the sha256 of the server certificate's public key
// (SubjectPublicKeyInfo), checked by libcurl during the handshake before any request
// byte is sent; it survives certificate renewal with the same key. Format of `pin`:
// "sha256//<base64>" as printed by
//   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
//   base64
struct TlsOptions {
  enum class Mode { kVerifyCa, kPinPublicKey, kInsecure };
  Mode mode = Mode::kVerifyCa;
  std::string ca_file;  // kVerifyCa: PEM bundle; empty = system store
  std::string pin;      // kPinPublicKey
};

// Sets `tls` on a libcurl easy handle (CURL*), for code driving its own handle.
void apply_tls(void* curl_handle, const TlsOptions& tls);

struct EndpointOptions {
  TlsOptions tls;
  long connect_timeout_ms = 10'000;
  long rpc_timeout_ms = 120'000;  // total time of one RPC exchange
};

struct HttpRequest {
  const char* method = "POST";  // GET, POST, PUT
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // in-memory body (POST)
  // PUT body producer: fills up to n bytes, returns how many; 0 = end of data.
  std::function<Result<size_t>(char* buf, size_t n)> source;
  int64_t upload_size = -1;  // Content-Length of a PUT (required with a source)
  // Response body consumer; blocking in it is the backpressure. An error aborts.
  std::function<Status(std::string_view chunk)> sink;
  long total_timeout_ms = 0;  // 0 = no total limit (transfers)
  long low_speed_time_s = 0;  // abort if < 1 byte/s for this long (0 = off)
  bool follow_redirects = false;
  bool fail_on_error = false;  // status >= 400: no body to the sink, kTransport error
  const std::atomic<bool>* cancel = nullptr;  // set from another thread to abort
};

struct HttpResponse {
  long status = 0;
  std::string content_type;
  std::string location;  // of a redirect
  std::string task_id;   // "task-id" header of xapi's HTTP handlers
  std::string effective_url;
  uint64_t body_bytes = 0;
  uint64_t sent_bytes = 0;
};

class HttpClient {
 public:
  explicit HttpClient(EndpointOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // kTransport on network/TLS/HTTP failure, kCancelled when `cancel` was set,
  // kTimeout when a deadline passed, or the sink's/source's own error.
  Result<HttpResponse> perform(const HttpRequest& request);

  struct Exchange;  // per-request state shared with the curl callbacks

 private:
  Status configure(const HttpRequest& request, Exchange& ex);
  void* curl_;  // CURL*
  EndpointOptions options_;
};

// A pool of clients so that each concurrently calling thread has its own handle and the
// handles (with their open connections) are reused. Thread-safe.
class HandlePool {
 public:
  explicit HandlePool(EndpointOptions options) : options_(std::move(options)) {}
  class Lease {
   public:
    Lease(HandlePool* pool, std::unique_ptr<HttpClient> c) : pool_(pool), client_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    HttpClient* operator->() { return client_.get(); }
    HttpClient& operator*() { return *client_; }

   private:
    HandlePool* pool_;
    std::unique_ptr<HttpClient> client_;
  };
  Lease acquire();
  const EndpointOptions& options() const { return options_; }

 private:
  EndpointOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_;
};

// Message prefix of a kTransport error raised before any byte reached the server (the
// request certainly did not run there, so it may be retried elsewhere).
inline constexpr std::string_view kConnectFailedPrefix = "connect failed: ";
bool is_connect_failure(const Status& s);

// Percent-encodes a query value.
std::string url_escape(std::string_view text);

}  // namespace xr::xapi

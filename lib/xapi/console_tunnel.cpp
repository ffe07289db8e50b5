#include "xapi/console_tunnel.h"

#include <curl/curl.h>
#include <poll.h>

#include <chrono>
#include <cstring>

#include "xapi/session.h"

namespace xr::xapi {

namespace {

constexpr size_t kMaxAnswerHead = 16 * 1024;

long now_ms() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count());
}

bool safe_text(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Status split_console_location(std::string_view location, std::string* host, std::string* target) {
  const size_t scheme_end = location.find("://");
  const std::string_view scheme = scheme_end == std::string_view::npos ? "" : location.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") {
    return Status(ErrorKind::kInvalidArgument, "console location is not an http(s) URL");
  }
  std::string_view rest = location.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return Status(ErrorKind::kInvalidArgument, "console location has no host or path");
  }
  *host = std::string(rest.substr(0, slash));
  *target = std::string(rest.substr(slash));
  if (!safe_text(*host) || !safe_text(*target)) {
    return Status(ErrorKind::kInvalidArgument, "console location holds spaces or control bytes");
  }
  return Status::ok();
}

Result<std::unique_ptr<ConsoleTunnel>> ConsoleTunnel::open(std::string_view location, std::string_view base_url,
                                                           const std::string& session_ref,
                                                           const EndpointOptions& endpoint) {
  CURL* c = curl_easy_init();
  if (c == nullptr) return Status(ErrorKind::kInternal, "curl_easy_init failed");
  std::unique_ptr<ConsoleTunnel> t(new ConsoleTunnel(c));
  XR_RETURN_IF_ERROR(t->connect(location, base_url, session_ref, endpoint));
  return t;
}

ConsoleTunnel::~ConsoleTunnel() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Status ConsoleTunnel::wait_fd(short events, long deadline_ms) {
  for (;;) {
    const long left = deadline_ms - now_ms();
    if (left <= 0) return Status(ErrorKind::kTimeout, "console: xapi did not answer the CONNECT in time");
    pollfd p{fd_, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left));
    if (n > 0) return Status::ok();
    if (n < 0 && errno != EINTR) return Status(ErrorKind::kIo, std::string("poll: ") + std::strerror(errno));
  }
}

Status ConsoleTunnel::connect(std::string_view location, std::string_view base_url, const std::string& session_ref,
                              const EndpointOptions& endpoint) {
  std::string host, target;
  XR_RETURN_IF_ERROR(split_console_location(location, &host, &target));
  if (!safe_text(session_ref)) return Status(ErrorKind::kInternal, "session reference is not a token");
  // The location names the host (xapi answers only on the VM's resident host); the pool's
  // URL says how hosts are reached (scheme, and a port other than 443 behind a tunnel).
  const std::string url = host_to_url(host, base_url) + "/";
  CURL* c = static_cast<CURL*>(curl_);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, endpoint.connect_timeout_ms);
  apply_tls(c, endpoint.tls);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return Status(ErrorKind::kTransport,
                  "console: cannot reach " + host + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  }
  curl_socket_t sock = CURL_SOCKET_BAD;
  curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &sock);
  if (sock == CURL_SOCKET_BAD) return Status(ErrorKind::kTransport, "console: no socket after connect");
  fd_ = static_cast<int>(sock);

  const long deadline = now_ms() + endpoint.connect_timeout_ms;
  const std::string head = "CONNECT " + target + " HTTP/1.0\r\nHost: " + host + "\r\nCookie: session_id=" +
                           session_ref + "\r\n\r\n";
  for (size_t sent = 0; sent < head.size();) {
    auto n = write(head.data() + sent, head.size() - sent);
    if (!n.is_ok()) return n.status();
    sent += *n;
    if (*n == 0) XR_RETURN_IF_ERROR(wait_fd(POLLOUT, deadline));
  }
  std::string answer;
  size_t end = std::string::npos;
  while (end == std::string::npos) {
    char buf[4096];
    auto n = read(buf, sizeof buf);
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status(ErrorKind::kUnavailable, "console: xapi closed the connection without an answer");
    if (*n < 0) {
      XR_RETURN_IF_ERROR(wait_fd(POLLIN, deadline));
      continue;
    }
    answer.append(buf, static_cast<size_t>(*n));
    end = answer.find("\r\n\r\n");
    if (end == std::string::npos && answer.size() > kMaxAnswerHead) {
      return Status(ErrorKind::kProtocol, "console: xapi's answer head is too large");
    }
  }
  early_ = answer.substr(end + 4);
  // "HTTP/1.1 200 OK": the status is the second word.
  const size_t sp = answer.find(' ');
  const std::string code = sp == std::string::npos ? "" : answer.substr(sp + 1, 3);
  if (answer.compare(0, 5, "HTTP/") != 0 || code.size() != 3) {
    return Status(ErrorKind::kProtocol, "console: xapi's answer is not HTTP");
  }
  if (code != "200") return Status(ErrorKind::kUnavailable, "console: xapi refused the connection (HTTP " + code + ")");
  return Status::ok();
}

Result<long> ConsoleTunnel::read(char* buf, size_t n) {
  size_t got = 0;
  const CURLcode rc = curl_easy_recv(static_cast<CURL*>(curl_), buf, n, &got);
  if (rc == CURLE_AGAIN) return -1L;
  if (rc != CURLE_OK) return Status(ErrorKind::kTransport, std::string("console: ") + curl_easy_strerror(rc));
  return static_cast<long>(got);
}

Result<size_t> ConsoleTunnel::write(const char* buf, size_t n) {
  size_t sent = 0;
  const CURLcode rc = curl_easy_send(static_cast<CURL*>(curl_), buf, n, &sent);
  if (rc == CURLE_AGAIN) return size_t{0};
  if (rc != CURLE_OK) return Status(ErrorKind::kTransport, std::string("console: ") + curl_easy_strerror(rc));
  return sent;
}

}  // namespace xr::xapi

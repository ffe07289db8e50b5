#include "xapi/file_put.h"

#include <curl/curl.h>
#include <poll.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

namespace xr::xapi {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kHeadMax = 64 * 1024;
// Asked of one sendfile(2) call; a non-blocking socket takes what fits in its buffer.
constexpr uint64_t kPiece = 8u << 20;

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct UrlCleanup {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

Status transport(const std::string& what) { return Status(ErrorKind::kTransport, "HTTP: " + what); }
Status errno_error(const char* call) { return transport(std::string(call) + ": " + std::strerror(errno)); }
bool again(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

// The request line's target and the Host header of a URL.
struct Target {
  std::string host;
  std::string path;
};

Result<Target> parse_target(const std::string& url) {
  std::unique_ptr<CURLU, UrlCleanup> u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return Status(ErrorKind::kInvalidArgument, "not a URL: the upload target");
  auto part = [&u](CURLUPart which) {
    char* v = nullptr;
    std::string out;
    if (curl_url_get(u.get(), which, &v, 0) == CURLUE_OK && v != nullptr) out = v;
    curl_free(v);
    return out;
  };
  Target t{part(CURLUPART_HOST), part(CURLUPART_PATH)};
  if (std::string port = part(CURLUPART_PORT); !port.empty()) t.host += ":" + port;
  if (t.path.empty()) t.path = "/";
  if (std::string query = part(CURLUPART_QUERY); !query.empty()) t.path += "?" + query;
  return t;
}

// A connected socket, made by libcurl (name resolution, connect timeout) and closed with
// its handle. Never through a proxy: XAPI is reached directly.
class Connection {
 public:
  Status open(const std::string& url, long timeout_ms) {
    curl_.reset(curl_easy_init());
    if (!curl_) return Status(ErrorKind::kInternal, "curl_easy_init failed");
    CURL* c = curl_.get();
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
    if (rc != CURLE_OK)
      return Status(ErrorKind::kTransport, std::string(kConnectFailedPrefix) + (err[0] ? err : curl_easy_strerror(rc)));
    curl_socket_t s = CURL_SOCKET_BAD;
    if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &s) != CURLE_OK || s == CURL_SOCKET_BAD)
      return Status(ErrorKind::kInternal, "libcurl gave no socket");
    fd_ = static_cast<int>(s);
    return Status::ok();
  }
  int fd() const { return fd_; }

 private:
  std::unique_ptr<CURL, CurlCleanup> curl_;
  int fd_ = -1;
};

// Cancel and stall checks around poll(2): woken at least once a second.
class Pacer {
 public:
  explicit Pacer(const FilePut& p) : p_(p), last_(Clock::now()) {}
  void moved() { last_ = Clock::now(); }
  Result<short> wait(int fd, short events) {
    for (;;) {
      if (p_.cancel != nullptr && p_.cancel->load(std::memory_order_relaxed))
        return Status(ErrorKind::kCancelled, "HTTP exchange cancelled");
      if (p_.low_speed_time_s > 0 && Clock::now() - last_ > std::chrono::seconds(p_.low_speed_time_s))
        return Status(ErrorKind::kTimeout, "HTTP: nothing moved for " + std::to_string(p_.low_speed_time_s) + " s");
      pollfd pfd{fd, events, 0};
      int n = ::poll(&pfd, 1, 1000);
      if (n < 0 && errno != EINTR) return errno_error("poll");
      if (n > 0) return pfd.revents;
    }
  }

 private:
  const FilePut& p_;
  Clock::time_point last_;
};

// The server's answer, read as it comes: XAPI sends its 200 head before it reads the body.
class Answer {
 public:
  // Reads what the socket holds; false at the end of the stream.
  Result<bool> read_some(int fd) {
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) return again(errno) ? Result<bool>(true) : Result<bool>(errno_error("recv"));
    if (n == 0) return false;
    if (complete()) {
      body_bytes_ += static_cast<uint64_t>(n);
      return true;
    }
    head_.append(buf, static_cast<size_t>(n));
    XR_RETURN_IF_ERROR(parse());
    return true;
  }
  bool complete() const { return status_ >= 200; }
  // A final answer refusing the request: sending the rest is pointless.
  bool refused() const { return status_ >= 300; }
  long status() const { return status_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  Status parse() {
    for (;;) {
      size_t end = head_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (head_.size() > kHeadMax) return Status(ErrorKind::kProtocol, "HTTP: answer head too long");
        return Status::ok();
      }
      long code = 0;
      if (head_.rfind("HTTP/1.", 0) != 0 || head_.size() < 12 || std::sscanf(head_.c_str() + 9, "%3ld", &code) != 1)
        return Status(ErrorKind::kProtocol, "HTTP: malformed status line");
      head_.erase(0, end + 4);
      if (code >= 200) {  // 1xx heads are interim: the next one counts
        status_ = code;
        body_bytes_ = head_.size();
        head_.clear();
        return Status::ok();
      }
    }
  }
  std::string head_;
  long status_ = 0;
  uint64_t body_bytes_ = 0;
};

// After a failed write: the answer the server may have sent before it closed (a refusal),
// else the write's error.
Result<bool> refusal_or(int fd, Answer& answer, Status error) {
  for (int i = 0; i < 64 && !answer.complete(); ++i) {
    Result<bool> open = answer.read_some(fd);
    if (!open.is_ok() || !*open) break;
  }
  if (answer.refused()) return true;
  return error;
}

// Sends the head, then the file; reads the answer meanwhile. True when a refusal stopped it.
Result<bool> send_request(int fd, const FilePut& p, std::string_view head, Pacer& pace, Answer& answer,
                          uint64_t* sent) {
  size_t head_sent = 0;
  off_t offset = p.offset;
  const auto size = static_cast<uint64_t>(p.size);
  while (head_sent < head.size() || *sent < size) {
    XR_ASSIGN_OR_RETURN(short ready, pace.wait(fd, static_cast<short>(POLLOUT | (answer.complete() ? 0 : POLLIN))));
    if ((ready & POLLIN) != 0 && !answer.complete()) {
      XR_ASSIGN_OR_RETURN(bool open, answer.read_some(fd));
      if (answer.refused()) return true;
      if (!open) return transport("the server closed the connection after " + std::to_string(*sent) + " bytes");
      pace.moved();
      continue;
    }
    if (head_sent < head.size()) {
      ssize_t n = ::send(fd, head.data() + head_sent, head.size() - head_sent, MSG_NOSIGNAL | MSG_MORE);
      if (n < 0 && again(errno)) continue;
      if (n < 0) return refusal_or(fd, answer, errno_error("send"));
      head_sent += static_cast<size_t>(n);
      pace.moved();
      continue;
    }
    ssize_t n = ::sendfile(fd, p.fd, &offset, static_cast<size_t>(std::min(kPiece, size - *sent)));
    if (n < 0 && again(errno)) continue;
    if (n < 0) return refusal_or(fd, answer, errno_error("sendfile"));
    if (n == 0) return Status(ErrorKind::kIo, "the upload file ends after " + std::to_string(*sent) + " bytes");
    *sent += static_cast<uint64_t>(n);
    pace.moved();
    if (p.progress) XR_RETURN_IF_ERROR(p.progress(*sent));
  }
  return false;
}

// The rest of the answer, to the end of the stream (the server closes the connection).
Status read_to_end(int fd, Pacer& pace, Answer& answer) {
  for (;;) {
    XR_RETURN_IF_ERROR(pace.wait(fd, POLLIN).status());
    XR_ASSIGN_OR_RETURN(bool open, answer.read_some(fd));
    if (!open) break;
    pace.moved();
  }
  if (!answer.complete()) return Status(ErrorKind::kProtocol, "HTTP: the server closed the connection without an answer");
  return Status::ok();
}

}  // namespace

bool is_plain_http(std::string_view url) { return url.size() > 7 && strncasecmp(url.data(), "http://", 7) == 0; }

Result<HttpResponse> put_file(const FilePut& p) {
  if (!is_plain_http(p.url)) return Status(ErrorKind::kInvalidArgument, "put_file takes http:// URLs only");
  if (p.fd < 0 || p.size < 0 || p.offset < 0) return Status(ErrorKind::kInvalidArgument, "put_file: no file");
  XR_ASSIGN_OR_RETURN(Target target, parse_target(p.url));
  Connection conn;
  XR_RETURN_IF_ERROR(conn.open(p.url, p.connect_timeout_ms));
  std::string head = "PUT " + target.path + " HTTP/1.1\r\nHost: " + target.host +
                     "\r\nContent-Length: " + std::to_string(p.size) + "\r\nConnection: close\r\n\r\n";
  Pacer pace(p);
  Answer answer;
  HttpResponse r;
  XR_ASSIGN_OR_RETURN(bool refused, send_request(conn.fd(), p, head, pace, answer, &r.sent_bytes));
  if (!refused) XR_RETURN_IF_ERROR(read_to_end(conn.fd(), pace, answer));
  r.status = answer.status();
  r.body_bytes = answer.body_bytes();
  r.effective_url = p.url;
  return r;
}

}  // namespace xr::xapi

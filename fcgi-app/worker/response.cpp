#include "worker/response.h"

#include <poll.h>

#include <cstdio>

#include "base/log.h"
#include "worker/fcgi_records.h"
#include "worker/request.h"

namespace xr::app {

namespace {
// Body bytes gathered before one FCGX_PutStr: big pieces keep libfcgi's per-call cost low.
constexpr size_t kFlushThreshold = 64 * 1024;
const log::Logger kLog("response");
}  // namespace

const char* reason_phrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

bool header_field_ok(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool token = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!token) return false;
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool Response::add_header(std::string_view name, std::string_view value) {
  if (!header_field_ok(name, value)) {
    kLog.error("refused a response header with a bad name or a control byte in its value: " +
               url_encode(name, ""));
    return false;
  }
  extra_headers_.append(name).append(": ").append(value).append("\r\n");
  redirected_ = redirected_ || name == "X-Accel-Redirect";
  return true;
}

bool Response::send_headers() {
  char line[64];
  std::snprintf(line, sizeof line, "Status: %d %s\r\n", status_, reason_phrase(status_));
  std::string head = line;
  if (!header_field_ok("Content-Type", content_type_)) content_type_ = "application/octet-stream";
  if (status_ != 204 && status_ != 304) head.append("Content-Type: ").append(content_type_).append("\r\n");
  head.append(extra_headers_).append("\r\n");
  headers_sent_ = true;
  if (sink_ != nullptr) {
    sink_->append(head);
    return true;
  }
  if (FCGX_PutStr(head.data(), static_cast<int>(head.size()), out_) < 0) failed_ = true;
  return !failed_;
}

bool Response::put(std::string_view data) {
  if (sink_ != nullptr) {
    sink_->append(data);
    return true;
  }
  if (fd_ < 0 || data.size() < kFlushThreshold) {
    if (FCGX_PutStr(data.data(), static_cast<int>(data.size()), out_) < 0) failed_ = true;
    return !failed_;
  }
  // libfcgi's buffered bytes (the headers) go first, as its own record.
  if (FCGX_FFlush(out_) < 0 || !write_stdout_records(fd_, request_id_, data)) failed_ = true;
  return !failed_;
}

bool Response::flush() {
  if (buffer_.empty() || failed_) return !failed_;
  put(buffer_);
  buffer_.clear();
  return !failed_;
}

bool Response::write(std::string_view data) {
  if (failed_) return false;
  if (capture_ != nullptr) capture_->append(data);
  if (!headers_sent_ && !send_headers()) return false;
  if (head_only_) return true;
  if (buffer_.empty() && data.size() >= kFlushThreshold) return put(data);  // no extra copy
  buffer_.append(data);
  if (buffer_.size() >= kFlushThreshold) return flush();
  return true;
}

bool Response::client_gone() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

bool Response::finish() {
  if (!headers_sent_ && !send_headers()) return false;
  if (!flush()) return false;
  if (sink_ == nullptr && FCGX_FFlush(out_) < 0) failed_ = true;
  return !failed_;
}

void Response::abort() {
  aborted_ = true;
  // What libfcgi still buffers is dropped (whole records only ever left it), so the poison
  // header lands on a record boundary.
  if (headers_sent_ && !failed_ && fd_ >= 0) write_poison_record(fd_, request_id_);
}

bool Response::send(int code, std::string_view content_type, std::string_view body) {
  status_ = code;
  content_type_ = content_type;
  char len[32];
  std::snprintf(len, sizeof len, "%llu", static_cast<unsigned long long>(body.size()));
  add_header("Content-Length", len);
  if (capture_ != nullptr) capture_->append(body);
  if (!send_headers()) return false;
  if (!head_only_ && !body.empty()) buffer_.append(body);
  return finish();
}

}  // namespace xr::app

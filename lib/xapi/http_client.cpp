#include "xapi/http_client.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace xr::xapi {

struct HttpClient::Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  Status callback_error;  // first error raised by the sink or the source
  curl_slist* headers = nullptr;
  ~Exchange() { curl_slist_free_all(headers); }
};

namespace {

CURL* handle(void* p) { return static_cast<CURL*>(p); }

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return strncasecmp(line.data(), name.data(), name.size()) == 0;
}

std::string header_value(std::string_view line, size_t name_len) {
  std::string_view v = line.substr(name_len + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
    v.remove_suffix(1);
  return std::string(v);
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<HttpClient::Exchange*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect): start over
    ex->response.content_type.clear();
    ex->response.location.clear();
  } else if (header_is(line, "content-type")) {
    ex->response.content_type = header_value(line, 12);
  } else if (header_is(line, "location")) {
    ex->response.location = header_value(line, 8);
  } else if (header_is(line, "task-id")) {
    ex->response.task_id = header_value(line, 7);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<HttpClient::Exchange*>(user);
  size_t len = size * n;
  ex->response.body_bytes += len;
  if (!ex->request->sink) return len;
  Status s = ex->request->sink(std::string_view(data, len));
  if (s.is_ok()) return len;
  ex->callback_error = s;
  return 0;  // makes curl abort with CURLE_WRITE_ERROR
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* ex = static_cast<HttpClient::Exchange*>(user);
  const HttpRequest& rq = *ex->request;
  size_t want = size * n;
  if (rq.source) {
    Result<size_t> got = rq.source(buf, want);
    if (!got.is_ok()) {
      ex->callback_error = got.status();
      return CURL_READFUNC_ABORT;
    }
    ex->response.sent_bytes += *got;
    return *got;
  }
  size_t off = ex->response.sent_bytes;
  size_t len = std::min(want, rq.body.size() - off);
  std::memcpy(buf, rq.body.data() + off, len);
  ex->response.sent_bytes += len;
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<HttpClient::Exchange*>(user);
  const std::atomic<bool>* cancel = ex->request->cancel;
  return cancel && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

void set_tls(CURL* c, const TlsOptions& tls) {
  switch (tls.mode) {
    case TlsOptions::Mode::kVerifyCa:
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
      if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
      break;
    case TlsOptions::Mode::kPinPublicKey:
      // The pin replaces chain verification (xapi certificates are self-signed).
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
      curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, tls.pin.c_str());
      break;
    case TlsOptions::Mode::kInsecure:
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
      break;
  }
}

Status map_curl_error(CURLcode rc, const char* errbuf, const HttpClient::Exchange& ex) {
  if (!ex.callback_error.is_ok()) return ex.callback_error;
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_ABORTED_BY_CALLBACK:
      return Status(ErrorKind::kCancelled, "HTTP exchange cancelled");
    case CURLE_OPERATION_TIMEDOUT:
      return Status(ErrorKind::kTimeout, "HTTP: " + detail);
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      return Status(ErrorKind::kTransport, std::string(kConnectFailedPrefix) + detail);
    default:
      return Status(ErrorKind::kTransport, "HTTP: " + detail);
  }
}

std::once_flag g_curl_init;

}  // namespace

void apply_tls(void* curl_handle, const TlsOptions& tls) { set_tls(static_cast<CURL*>(curl_handle), tls); }

HttpClient::HttpClient(EndpointOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle(curl_)); }

Status HttpClient::configure(const HttpRequest& rq, Exchange& ex) {
  CURL* c = handle(curl_);
  curl_easy_reset(c);  // keeps the connection cache: keep-alive survives
  curl_easy_setopt(c, CURLOPT_URL, rq.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq.total_timeout_ms);
  if (rq.low_speed_time_s > 0) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, rq.low_speed_time_s);
  }
  set_tls(c, options_.tls);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, rq.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, rq.fail_on_error ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &ex);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
  ex.headers = curl_slist_append(ex.headers, "Expect:");  // xapi never sends 100 Continue
  for (const std::string& h : rq.headers) ex.headers = curl_slist_append(ex.headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, ex.headers);
  std::string_view method = rq.method;
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(rq.body.size()));
  } else if (method == "PUT") {
    int64_t size = rq.source ? rq.upload_size : static_cast<int64_t>(rq.body.size());
    if (size < 0) return Status(ErrorKind::kInvalidArgument, "PUT needs a Content-Length");
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &ex);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
  } else {
    return Status(ErrorKind::kInvalidArgument, "unsupported HTTP method");
  }
  return Status::ok();
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& rq) {
  if (!curl_) return Status(ErrorKind::kInternal, "curl_easy_init failed");
  Exchange ex;
  ex.request = &rq;
  XR_RETURN_IF_ERROR(configure(rq, ex));
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(handle(curl_), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(handle(curl_));
  curl_easy_setopt(handle(curl_), CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(handle(curl_), CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) return map_curl_error(rc, errbuf, ex);
  curl_easy_getinfo(handle(curl_), CURLINFO_RESPONSE_CODE, &ex.response.status);
  char* eff = nullptr;
  if (curl_easy_getinfo(handle(curl_), CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
    ex.response.effective_url = eff;
  return std::move(ex.response);
}

HandlePool::Lease::~Lease() {
  if (!client_ || !pool_) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  pool_->idle_.push_back(std::move(client_));
}

HandlePool::Lease HandlePool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  return Lease(this, std::make_unique<HttpClient>(options_));
}

std::string url_escape(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace xr::xapi

namespace xr::xapi {
bool is_connect_failure(const Status& s) {
  return s.kind() == ErrorKind::kTransport && s.message().rfind(kConnectFailedPrefix, 0) == 0;
}
}  // namespace xr::xapi

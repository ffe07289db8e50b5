#include "xapi/http_transfer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "xapi/file_put.h"

namespace xr::xapi {
namespace {

constexpr log::Logger kLog("xapi.http");

// The task's verdict after a transfer that went wrong at the HTTP level: its typed
// error when it failed, else `fallback`.
Status task_verdict_or(Session& session, const std::string& task, Status fallback) {
  TaskWaitOptions quick;
  quick.timeout_ms = 5'000;
  quick.event_timeout_s = 1.0;
  Result<Value> outcome = wait_task(session, task, quick);
  // TASK_CANCELLED is our own cancel after the failure: the failure is the news.
  if (!outcome.is_ok() && outcome.status().kind() == ErrorKind::kXapi &&
      outcome.status().code() != "TASK_CANCELLED")
    return outcome.status();
  return fallback;
}

// Creates the task, runs `transfer`, then takes the outcome from the task and destroys it.
Result<TransferResult> with_task(
    Session& session, const TransferOptions& options,
    const std::function<Result<HttpResponse>(const Session::Credentials&, const std::string&)>&
        transfer) {
  // The task first: its call re-logs in if the session expired, so the credentials
  // read next are the live ones.
  XR_ASSIGN_OR_RETURN(std::string task, create_task(session, options.task_label));
  XR_ASSIGN_OR_RETURN(Session::Credentials creds, session.credentials());
  if (!options.host.empty()) creds.base_url = options.host;
  Result<HttpResponse> resp = transfer(creds, task);
  Result<TransferResult> out = Status(ErrorKind::kInternal, "unset");
  if (!resp.is_ok()) {
    (void)cancel_task(session, task);
    out = task_verdict_or(session, task, resp.status());
  } else if (resp->status != 200) {
    out = task_verdict_or(
        session, task,
        Status(ErrorKind::kTransport, "HTTP status " + std::to_string(resp->status)));
  } else {
    TaskWaitOptions wait;
    wait.timeout_ms = options.task_timeout_ms;
    wait.cancel = options.cancel;
    Result<Value> v = wait_task(session, task, wait);
    if (v.is_ok())
      out = TransferResult{std::move(v).value(), resp->body_bytes + resp->sent_bytes};
    else
      out = v.status();
  }
  Status destroyed = destroy_task(session, task);
  if (!destroyed.is_ok()) kLog.debug("task.destroy after transfer: " + destroyed.to_string());
  return out;
}

// Holds back the first bytes of a download: xapi occasionally answers 200 and then
// writes a second HTTP response ("HTTP/1.1 500 ...") as the body (§7.4); that must be
// an error, not data handed to the client.
class HeadGuard {
 public:
  explicit HeadGuard(const BodySink& sink) : sink_(sink) {}
  Status feed(std::string_view chunk) {
    if (passed_) return sink_(chunk);
    size_t take = std::min(chunk.size(), kPeek - head_.size());
    head_.append(chunk.substr(0, take));
    if (head_.size() < kPeek) return Status::ok();
    XR_RETURN_IF_ERROR(flush());
    return chunk.size() > take ? sink_(chunk.substr(take)) : Status::ok();
  }
  // Hands over what was held back (at the end of a body shorter than the peek).
  Status flush() {
    if (passed_) return Status::ok();
    passed_ = true;
    if (head_.rfind("HTTP/", 0) == 0)
      return Status(ErrorKind::kTransport, "xapi sent an HTTP response as the body");
    return head_.empty() ? Status::ok() : sink_(head_);
  }

 private:
  static constexpr size_t kPeek = 5;
  const BodySink& sink_;
  std::string head_;
  bool passed_ = false;
};

// Strips the query from a redirect target; keeps scheme://host[:port]/path.
std::string without_query(std::string_view url) {
  return std::string(url.substr(0, url.find('?')));
}

}  // namespace

std::string build_url(std::string_view base, std::string_view path, const Query& query) {
  std::string url = std::string(base) + std::string(path);
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : query) {
    url.push_back(sep);
    url += url_escape(k);
    url.push_back('=');
    url += url_escape(v);
    sep = '&';
  }
  return url;
}

UploadSource UploadSource::from_fd(int fd, int64_t size) {
  UploadSource s;
  s.size = size;
  const off_t at = ::lseek(fd, 0, SEEK_CUR);
  if (at >= 0) {  // a pipe cannot be sendfile's source: it keeps read() only
    s.fd = fd;
    s.offset = at;
  }
  s.read = [fd](char* buf, size_t n) -> Result<size_t> {
    for (;;) {
      ssize_t got = ::read(fd, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno != EINTR)
        return Status(ErrorKind::kIo, std::string("read upload: ") + std::strerror(errno));
    }
  };
  return s;
}

Result<TransferResult> download(Session& session, std::string_view path, const Query& query,
                                const BodySink& sink, const TransferOptions& options) {
  return with_task(
      session, options,
      [&](const Session::Credentials& c, const std::string& task) -> Result<HttpResponse> {
        Query q = query;
        q.emplace_back("session_id", c.session_ref);
        q.emplace_back("task_id", task);
        HttpRequest rq;
        rq.method = "GET";
        rq.url = build_url(c.base_url, path, q);
        rq.follow_redirects = true;
        rq.fail_on_error = true;  // an error page must not reach the sink
        rq.low_speed_time_s = options.low_speed_time_s;
        rq.cancel = options.cancel;
        HeadGuard guard(sink);
        rq.sink = [&guard](std::string_view chunk) { return guard.feed(chunk); };
        auto http = session.handles().acquire();
        Result<HttpResponse> r = http->perform(rq);
        if (r.is_ok()) XR_RETURN_IF_ERROR(guard.flush());
        return r;
      });
}

Result<TransferResult> upload(Session& session, std::string_view path, const Query& query,
                              UploadSource source, const TransferOptions& options) {
  return with_task(
      session, options,
      [&](const Session::Credentials& c, const std::string& task) -> Result<HttpResponse> {
        auto http = session.handles().acquire();
        // Probe: an empty PUT without task_id learns where the data lives (302) before the
        // real body, which cannot be replayed, is sent.
        Query probe_q = query;
        probe_q.emplace_back("session_id", c.session_ref);
        HttpRequest probe;
        probe.method = "PUT";
        probe.url = build_url(c.base_url, path, probe_q);
        probe.total_timeout_ms = 60'000;
        probe.cancel = options.cancel;
        XR_ASSIGN_OR_RETURN(HttpResponse pr, http->perform(probe));
        std::string target = build_url(c.base_url, path, {});
        if (pr.status >= 300 && pr.status < 400 && !pr.location.empty()) {
          target = without_query(pr.location);
          kLog.info("upload redirected to " + target);
        }
        Query q = query;
        q.emplace_back("session_id", c.session_ref);
        q.emplace_back("task_id", task);
        if (source.fd >= 0 && is_plain_http(target)) {
          FilePut put;
          put.url = build_url(target, "", q);
          put.fd = source.fd;
          put.offset = source.offset;
          put.size = source.size;
          put.connect_timeout_ms = session.handles().options().connect_timeout_ms;
          put.low_speed_time_s = options.low_speed_time_s;
          put.cancel = options.cancel;
          put.progress = source.progress;
          return put_file(put);
        }
        uint64_t sent = 0;
        HttpRequest rq;
        rq.method = "PUT";
        rq.url = build_url(target, "", q);
        rq.source = [&source, &sent](char* buf, size_t n) -> Result<size_t> {
          XR_ASSIGN_OR_RETURN(size_t got, source.read(buf, n));
          sent += got;
          if (source.progress) XR_RETURN_IF_ERROR(source.progress(sent));
          return got;
        };
        rq.upload_size = source.size;
        rq.low_speed_time_s = options.low_speed_time_s;
        rq.cancel = options.cancel;
        return http->perform(rq);
      });
}

}  // namespace xr::xapi

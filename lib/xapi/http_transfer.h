// Raw HTTP handlers of xapi (/export, /export_raw_vdi, /import, /import_raw_vdi): streaming
// GET and PUT bound to a task we create (task_id), redirects followed (PUT: empty-body
// probe first, §7.1), Content-Length always, and the outcome read from the task so a
// 200 that failed is reported as the typed XAPI error. Blocking; thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xapi/session.h"
#include "xapi/task_waiter.h"

namespace xr::xapi {

using Query = std::vector<std::pair<std::string, std::string>>;

struct TransferOptions {
  std::string task_label = "xapi-rest transfer";
  // Base URL of the host to contact instead of the master (e.g. the host known to hold
  // the disk); a 302 from wherever we land is followed anyway.
  std::string host;
  const std::atomic<bool>* cancel = nullptr;
  long low_speed_time_s = 600;       // abort a transfer stalled (< 1 B/s) this long
  long task_timeout_ms = 3'600'000;  // waiting for the task after the body
};

struct TransferResult {
  Value task_result;  // decoded task.result (e.g. the imported VM refs)
  uint64_t bytes = 0;
};

// A PUT body: read() fills up to n bytes and returns the count (0 = end); size is the
// exact Content-Length. A file-backed source also names its file (fd, offset): to an
// http:// XAPI it is sent with sendfile(2) (file_put.h), without read().
struct UploadSource {
  std::function<Result<size_t>(char* buf, size_t n)> read;
  int64_t size = 0;
  int fd = -1;  // the file, not owned (-1: read() only)
  int64_t offset = 0;
  // Bytes sent so far, after each piece, whichever way they go; an error stops the upload.
  std::function<Status(uint64_t sent)> progress;
  // `size` bytes of `fd` (a spooled upload) from its current position; does not own the fd.
  static UploadSource from_fd(int fd, int64_t size);
};

using BodySink = std::function<Status(std::string_view chunk)>;

Result<TransferResult> download(Session& session, std::string_view path, const Query& query,
                                const BodySink& sink, const TransferOptions& options = {});

Result<TransferResult> upload(Session& session, std::string_view path, const Query& query,
                              UploadSource source, const TransferOptions& options = {});

// "base/path?k=v&..." with values percent-encoded.
std::string build_url(std::string_view base, std::string_view path, const Query& query);

}  // namespace xr::xapi

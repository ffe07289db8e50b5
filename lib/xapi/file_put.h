// A PUT whose body is a file's bytes, sent with sendfile(2) over plain HTTP: the kernel
// hands page-cache pages to the socket, where libcurl's read callback would copy every byte
// twice (read() into a buffer, send() out of it). TLS needs the bytes in user space, so
// https:// URLs keep the libcurl path (http_transfer.cpp chooses). Blocking; any thread.
// REQUIRES: the process ignores SIGPIPE (sendfile to a socket the peer closed raises it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xapi/http_client.h"

namespace xr::xapi {

struct FilePut {
  std::string url;  // http://host[:port]/path?query (not followed if it redirects)
  int fd = -1;      // not owned; read with an offset, its file position is left alone
  int64_t offset = 0;
  int64_t size = 0;  // Content-Length: exactly this many bytes from `offset`
  long connect_timeout_ms = 10'000;
  long low_speed_time_s = 600;  // abort when nothing moved for this long
  const std::atomic<bool>* cancel = nullptr;
  // Bytes sent so far, after each piece; an error stops the upload and is the result.
  std::function<Status(uint64_t sent)> progress;
};

// True for an http:// URL (any case), the only kind put_file() takes.
bool is_plain_http(std::string_view url);

// Sends the request, then reads the answer to its end (the server closes: we send
// `Connection: close`). status is the answer's; a final status >= 300 that comes before
// the whole body stops the sending and is returned as is, as libcurl does. kTransport on
// a network failure (kConnectFailedPrefix when the connection was never made), kCancelled,
// kTimeout, kIo when the file is shorter than `size`, kProtocol for a malformed answer.
Result<HttpResponse> put_file(const FilePut& put);

}  // namespace xr::xapi

// Writes response body bytes as FastCGI FCGI_STDOUT records of up to 64 KiB straight to the
// request's socket (libfcgi cuts everything into 8 KiB records: 8x the write calls and
// wake-ups of nginx for a large list). Worker request thread; blocks while nginx drains.
#pragma once

#include <string_view>

namespace xr::app {

// Writes `data` as STDOUT records of request `request_id` on `fd` (a blocking socket),
// retrying short writes and EINTR. False on any write error (the client or nginx went away).
// The caller must have flushed libfcgi's own buffer for this stream first.
bool write_stdout_records(int fd, int request_id, std::string_view data);

// Writes one record header nginx refuses (protocol version 0) at a record boundary: nginx
// then fails the upstream and cuts the client's response instead of ending it cleanly.
// For a request that failed after its headers; the caller closes without FCGI_END_REQUEST.
void write_poison_record(int fd, int request_id);

}  // namespace xr::app

// The parsed view of one FastCGI request: method, decoded path segments, query
// parameters, cookies, headers, body. The thread that handles the request only; no blocking except
// read_body (reads stdin from nginx).
#pragma once

#include <fcgiapp.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace xr::app {

class Request {
 public:
  explicit Request(FCGX_Request* fcgi);
  // A request read by other means (the stream role's own FastCGI parser): the FastCGI
  // parameters as "NAME=value" strings and the whole body.
  Request(std::vector<std::string> env, std::string body);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const std::string& method() const { return method_; }
  // Percent-decoded segments of the path, without empty ones: /rest/v0/vms -> rest,v0,vms.
  const std::vector<std::string>& segments() const { return segments_; }
  // The segments as sent (not decoded), empty ones kept but a trailing one: routes match
  // these, so `vm%73` is not `vms` and `//vms` is no route (as Express routes).
  const std::vector<std::string>& raw_segments() const { return raw_segments_; }
  const std::string& raw_path() const { return raw_path_; }
  // A FastCGI parameter ("HTTP_COOKIE", "REMOTE_ADDR"); empty when absent.
  std::string_view param(const char* name) const;

  // Query parameters in order; a bare key (`?ndjson`) has an empty value and is present.
  const std::vector<std::pair<std::string, std::string>>& query() const { return query_; }
  // First value of `key`, or nullopt; `count(key)` to detect repeated keys.
  std::optional<std::string_view> query_value(std::string_view key) const;
  int query_count(std::string_view key) const;

  // Value of cookie `name` from the Cookie header.
  std::optional<std::string> cookie(std::string_view name) const;
  // Reads the request body; kResourceExhausted beyond `max_bytes`. After buffer_body(),
  // the buffered body again.
  Result<std::string> read_body(size_t max_bytes);
  // Reads the whole body now and keeps it, so that read_body() still returns it later
  // (the Idempotency-Key check hashes it before the handler reads it).
  Result<std::string_view> buffer_body(size_t max_bytes);

 private:
  void parse();

  FCGX_Request* fcgi_ = nullptr;
  std::vector<std::string> env_;   // without fcgi_: the parameters
  std::vector<char*> envp_;        // pointers into env_, null-terminated
  std::string body_;               // without fcgi_ (or once buffered): the body
  bool buffered_ = false;          // buffer_body() read it
  std::string method_;
  std::string raw_path_;
  std::vector<std::string> segments_;
  std::vector<std::string> raw_segments_;
  std::vector<std::pair<std::string, std::string>> query_;
};

// Percent-decoding; `plus_is_space` for query strings. Invalid escapes are kept as is.
std::string url_decode(std::string_view in, bool plus_is_space);
// Percent-encodes every byte except ASCII letters, digits, "-._~" and the bytes in `keep`
// (so CR, LF, controls, spaces and non-ASCII bytes never pass through).
std::string url_encode(std::string_view in, std::string_view keep);
// Splits a query string into decoded key/value pairs.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view qs);
// Splits a path into decoded non-empty segments.
std::vector<std::string> split_path(std::string_view path);
// Splits a path into its segments as sent: not decoded, inner empty segments kept.
std::vector<std::string> split_raw_path(std::string_view path);

// An Authorization header decoded as Basic, whatever its scheme (as XO: a Bearer token
// simply fails): "name:password" (the first ':' splits them). kInvalidArgument without a
// space after the scheme; kUnauthorized when not base64 or without ':'.
Result<std::string> basic_credentials(std::string_view header);

}  // namespace xr::app

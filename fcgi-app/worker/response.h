// The HTTP response of one FastCGI request: status and headers, then a body streamed to
// libfcgi in large pieces (its own buffer is only 8 KiB). Worker request thread only.
// Writes block while nginx drains the socket; a client that went away makes them fail.
#pragma once

#include <fcgiapp.h>

#include <string>
#include <string_view>

namespace xr::app {

class Response {
 public:
  // `head_only`: a HEAD request, the body is counted but never sent.
  Response(FCGX_Stream* out, bool head_only) : out_(out), head_only_(head_only) {}
  // Same, and large body pieces go to the request's socket as 64 KiB records
  // (fcgi_records.h) instead of through libfcgi's 8 KiB ones.
  Response(FCGX_Request* request, bool head_only)
      : out_(request->out), head_only_(head_only), fd_(request->ipcFd),
        request_id_(request->requestId) {}
  // Everything (the CGI head "Status: ...\r\n...\r\n\r\n", then the body) is appended to
  // *sink: the stream role frames it into FastCGI records itself.
  Response(std::string* sink, bool head_only) : out_(nullptr), head_only_(head_only), sink_(sink) {}
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  void set_status(int code) { status_ = code; }
  int status() const { return status_; }
  void set_content_type(std::string_view type) { content_type_ = type; }
  // Adds "Name: value"; refuses (false, logged, header left out) a name that is not an
  // HTTP token or a value with CR, LF or another control byte: no response splitting.
  bool add_header(std::string_view name, std::string_view value);
  bool headers_sent() const { return headers_sent_; }

  // Appends body bytes (sending the headers first); false once the client is gone.
  bool write(std::string_view data);
  // Sends headers and an empty body when nothing was written, then flushes.
  bool finish();
  // Writes a whole small body with Content-Length.
  bool send(int code, std::string_view content_type, std::string_view body);

  // Keeps a copy of every body byte written from now on in *into (the Idempotency-Key
  // answer); content_type() and extra_headers() give the rest of the answer.
  void capture_body(std::string* into) { capture_ = into; }
  const std::string& content_type() const { return content_type_; }
  // The headers added so far, "Name: value\r\n" each.
  const std::string& extra_headers() const { return extra_headers_; }

  bool failed() const { return failed_; }
  // Marks a response that failed after its headers went out: the worker then ends the
  // FastCGI request without FCGI_END_REQUEST, so nginx cuts the client's response.
  void abort();
  bool aborted() const { return aborted_; }
  // An X-Accel-Redirect answer: nginx acts on its headers and closes the connection without
  // reading FCGI_END_REQUEST, so it is never reused (nginx keeps only whole answers).
  bool redirected() const { return redirected_; }
  // True when the peer (nginx) closed the request's connection: the client went away while
  // a request waits (false when it cannot tell, e.g. without the socket).
  bool client_gone() const;

 private:
  bool send_headers();
  bool flush();
  // Hands body bytes over (libfcgi, or direct records when the socket is known).
  bool put(std::string_view data);

  FCGX_Stream* out_;
  bool head_only_;
  std::string* sink_ = nullptr;  // set: no libfcgi stream, bytes go here
  std::string* capture_ = nullptr;  // set: a copy of the body goes here too
  int fd_ = -1;  // the request's socket when writing records directly, else -1
  int request_id_ = 0;
  int status_ = 200;
  std::string content_type_ = "application/json; charset=utf-8";
  std::string extra_headers_;
  std::string buffer_;
  bool headers_sent_ = false;
  bool failed_ = false;
  bool aborted_ = false;
  bool redirected_ = false;
};

// Whether "name: value" may go into a header block: name an RFC 9110 token, value free of
// control bytes other than horizontal tab (CR and LF above all).
bool header_field_ok(std::string_view name, std::string_view value);

// "OK", "Not Found", ... for the status line libfcgi forwards.
const char* reason_phrase(int code);

}  // namespace xr::app

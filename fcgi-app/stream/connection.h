// One FastCGI connection of the stream role (nginx opens one per request unless
// fastcgi_keep_conn): records in, the current request's parameters and body, bytes out.
// Output is bounded by the caller (pending()); nothing here blocks. Stream thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stream/fcgi_wire.h"
#include "stream/open_stream.h"

namespace xr::app {

class Connection {
 public:
  enum class Event { kNone, kRequestReady, kAborted, kBroken };

  explicit Connection(int fd) : fd_(fd) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  // Consumes buffered input; returns the first event that needs the caller (a complete
  // request, an abort, a protocol error). Call again until kNone.
  Event process_input();
  // Reads what the socket has (non-blocking). False: end of file or an error.
  bool read_some();
  // Writes pending output (non-blocking). False: the peer is gone.
  bool write_some();
  size_t pending() const { return out_.size() - out_off_; }
  // Forgets output not yet handed to the socket, from the first record not started (a
  // record partly written is kept whole: records hold whole lines).
  void drop_unsent();

  // The request that is ready (after kRequestReady).
  std::vector<std::string> take_env();
  std::string take_body() { return std::move(body_); }
  uint16_t request_id() const { return request_id_; }
  bool in_request() const { return request_id_ != 0; }

  // Body bytes of the current response (already formatted: CGI head then body).
  void send(std::string_view bytes) { fcgi::append_stdout(&out_, request_id_, bytes); }
  // Ends the current response; the connection closes once flushed unless kept.
  void end();
  // True once the response ended and the connection should close after flushing.
  bool closing() const { return closing_; }

  std::unique_ptr<OpenStream> stream;  // set while a long-lived response is open
  // Whether the loop has EPOLLOUT registered for it (the loop's bookkeeping: changing it is a
  // syscall, and a fan-out touches every connection of a view).
  bool polling_writable = false;

 private:
  bool handle_record(const fcgi::Record& r, Event* event);

  int fd_;
  std::string in_;
  std::string out_;
  size_t out_off_ = 0;
  size_t rec_start_ = 0;  // start of the record out_off_ is in (records are parsed from 0)
  uint16_t request_id_ = 0;
  bool keep_conn_ = false;
  bool params_done_ = false;
  bool handed_over_ = false;
  bool closing_ = false;
  std::string params_;
  std::string body_;
};

}  // namespace xr::app

#include "stream/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "stream/open_stream.h"

namespace xr::app {

namespace {
constexpr size_t kMaxParams = 64 * 1024;   // nginx sends a few KiB
constexpr size_t kMaxBody = 1024 * 1024;   // the stream role's requests have small bodies
}  // namespace

Connection::~Connection() { close(fd_); }

bool Connection::read_some() {
  char buf[16384];
  for (;;) {
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      if (in_.size() > kMaxParams + kMaxBody) return false;  // not nginx
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

bool Connection::write_some() {
  while (out_off_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = rec_start_ = 0;
    if (out_.capacity() > 16 * 1024) out_.shrink_to_fit();  // an idle stream stays small
    return true;
  }
  fcgi::Record r;
  long n;
  while ((n = fcgi::parse_record(std::string_view(out_).substr(rec_start_), &r)) > 0 &&
         rec_start_ + static_cast<size_t>(n) <= out_off_) {
    rec_start_ += static_cast<size_t>(n);
  }
  if (rec_start_ > 64 * 1024 && rec_start_ * 2 > out_.size()) {
    out_.erase(0, rec_start_);
    out_off_ -= rec_start_;
    rec_start_ = 0;
  }
  return true;
}

void Connection::drop_unsent() {
  if (out_off_ == rec_start_) {
    out_.resize(out_off_);
    return;
  }
  fcgi::Record r;
  const long n = fcgi::parse_record(std::string_view(out_).substr(rec_start_), &r);
  if (n > 0) out_.resize(rec_start_ + static_cast<size_t>(n));
}

Connection::Event Connection::process_input() {
  size_t pos = 0;
  Event event = Event::kNone;
  while (event == Event::kNone) {
    fcgi::Record r;
    const long n = fcgi::parse_record(std::string_view(in_).substr(pos), &r);
    if (n < 0) {
      event = Event::kBroken;
      break;
    }
    if (n == 0) break;
    pos += static_cast<size_t>(n);
    if (!handle_record(r, &event)) event = Event::kBroken;
  }
  in_.erase(0, pos);
  return event;
}

bool Connection::handle_record(const fcgi::Record& r, Event* event) {
  if (r.request_id == 0) {  // management records
    if (r.type == fcgi::kGetValues) {
      std::vector<std::pair<std::string, std::string>> asked, answer;
      if (!fcgi::parse_pairs(r.content, &asked)) return false;
      for (const auto& [name, value] : asked) {
        if (name == "FCGI_MPXS_CONNS") answer.emplace_back(name, "0");
        if (name == "FCGI_MAX_CONNS" || name == "FCGI_MAX_REQS") answer.emplace_back(name, "100000");
      }
      fcgi::append_record(&out_, fcgi::kGetValuesResult, 0, fcgi::encode_pairs(answer));
    } else {
      const char body[8] = {static_cast<char>(r.type), 0, 0, 0, 0, 0, 0, 0};
      fcgi::append_record(&out_, fcgi::kUnknownType, 0, std::string_view(body, 8));
    }
    return true;
  }
  if (r.type == fcgi::kBeginRequest) {
    if (r.content.size() < 8) return false;
    const uint16_t role = static_cast<uint16_t>((static_cast<uint8_t>(r.content[0]) << 8) |
                                                static_cast<uint8_t>(r.content[1]));
    if (request_id_ != 0) {  // one request at a time per connection
      fcgi::append_end(&out_, r.request_id, 0, fcgi::kCantMpxConn);
      return true;
    }
    if (role != fcgi::kResponder) {
      fcgi::append_end(&out_, r.request_id, 0, fcgi::kUnknownRole);
      return true;
    }
    request_id_ = r.request_id;
    keep_conn_ = (static_cast<uint8_t>(r.content[2]) & fcgi::kKeepConn) != 0;
    params_done_ = handed_over_ = closing_ = false;
    params_.clear();
    body_.clear();
    return true;
  }
  if (r.request_id != request_id_) return true;  // a request we refused or ended
  switch (r.type) {
    case fcgi::kParams:
      if (r.content.empty()) {
        params_done_ = true;
      } else if (params_.size() + r.content.size() > kMaxParams) {
        return false;
      } else {
        params_.append(r.content);
      }
      return true;
    case fcgi::kStdin:
      if (!params_done_ || handed_over_) return true;
      if (r.content.empty()) {
        handed_over_ = true;
        *event = Event::kRequestReady;
      } else if (body_.size() + r.content.size() > kMaxBody) {
        return false;
      } else {
        body_.append(r.content);
      }
      return true;
    case fcgi::kAbortRequest:
      *event = Event::kAborted;
      return true;
    default:
      return true;  // DATA and anything else: ignored (responder role)
  }
}

std::vector<std::string> Connection::take_env() {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> env;
  if (!fcgi::parse_pairs(params_, &pairs)) return env;
  env.reserve(pairs.size());
  for (auto& [name, value] : pairs) env.push_back(name + "=" + value);
  params_.clear();
  return env;
}

void Connection::end() {
  if (request_id_ == 0) return;
  fcgi::append_end(&out_, request_id_);
  request_id_ = 0;
  stream.reset();
  if (!keep_conn_) closing_ = true;
}

}  // namespace xr::app

#include "base/status.h"

#include <ostream>

namespace xr {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk: return "ok";
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kUnauthorized: return "unauthorized";
    case ErrorKind::kForbidden: return "forbidden";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kInvalidParameters: return "invalid parameters";
    case ErrorKind::kXapi: return "xapi error";
    case ErrorKind::kTransport: return "transport error";
    case ErrorKind::kProtocol: return "protocol error";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kResourceExhausted: return "resource exhausted";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kInternal: return "internal error";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kTooManyRequests: return "too many requests";
    case ErrorKind::kGone: return "gone";
    case ErrorKind::kPreconditionFailed: return "precondition failed";
    case ErrorKind::kGatewayTimeout: return "gateway timeout";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorKind kind) { return os << error_kind_name(kind); }

Status Status::xapi(std::string code, std::vector<std::string> params) {
  Status s(ErrorKind::kXapi, code);
  s.code_ = std::move(code);
  s.params_ = std::move(params);
  return s;
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string out = error_kind_name(kind_);
  out += ": ";
  if (kind_ == ErrorKind::kXapi) {
    out += code_;
    out += '(';
    for (size_t i = 0; i < params_.size(); ++i) {
      if (i) out += ", ";
      out += params_[i];
    }
    out += ')';
    if (message_ != code_) out += " " + message_;
  } else {
    out += message_;
  }
  return out;
}

Status Status::with_context(const std::string& context) const {
  Status s = *this;
  s.message_ = context + ": " + message_;
  return s;
}

}  // namespace xr

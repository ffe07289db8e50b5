// Status and Result<T>: the one error type of the project, returned by value.
// Any thread. Never throws. A XAPI failure keeps its code and every parameter.
#pragma once

#include <cassert>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace xr {

enum class ErrorKind {
  kOk = 0,
  kInvalidArgument,   // the caller's input is wrong (HTTP 400)
  kInvalidParameters, // XO's invalidParameters: a parameter failed validation (HTTP 422)
  kNotFound,          // no such object or route (404)
  kUnauthorized,      // missing or bad credentials (401)
  kForbidden,         // authenticated but not allowed (403)
  kConflict,          // state does not allow it (409)
  kXapi,              // XAPI answered with a failure: code() and params()
  kTransport,         // network, TLS, HTTP-level failure talking to XAPI
  kProtocol,          // malformed or unexpected answer from a peer
  kTimeout,           // a deadline passed
  kCancelled,         // stopped on request
  kResourceExhausted, // a bound was hit (cache full, input too large)
  kIo,                // local file system or OS call failed
  kInternal,          // a bug or an impossible state
  kUnavailable,       // switched off or not ready here, whoever asks (HTTP 503)
  kTooManyRequests,   // this client must slow down (HTTP 429, with Retry-After)
  kGone,              // existed once, no longer available (HTTP 410: a revision too old to replay)
  kPreconditionFailed,// If-Match named another version of the object (HTTP 412)
  kGatewayTimeout,    // XAPI accepted a change that never showed up in time (HTTP 504)
};

// Name of a kind for logs and error bodies ("invalid argument", ...).
const char* error_kind_name(ErrorKind kind);
std::ostream& operator<<(std::ostream& os, ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  static Status ok() { return {}; }
  // A XAPI failure: code (e.g. "VM_BAD_POWER_STATE") and its parameters.
  static Status xapi(std::string code, std::vector<std::string> params);

  bool is_ok() const { return kind_ == ErrorKind::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // For kXapi: the XAPI error code and its parameters; empty otherwise.
  const std::string& code() const { return code_; }
  const std::vector<std::string>& params() const { return params_; }

  // "kind: message" (and for XAPI errors "CODE(p1, p2)").
  std::string to_string() const;

  // Returns a copy whose message is prefixed with context ("loading config: ...").
  Status with_context(const std::string& context) const;

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  std::string message_;
  std::string code_;
  std::vector<std::string> params_;
};

// A value or an error. REQUIRES for value(): is_ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; an OK Status when a value is held.
  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace xr

// Propagates a non-OK Status from an expression returning Status.
#define XR_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::xr::Status xr_status_ = (expr);       \
    if (!xr_status_.is_ok()) return xr_status_; \
  } while (0)

#define XR_CONCAT_INNER_(a, b) a##b
#define XR_CONCAT_(a, b) XR_CONCAT_INNER_(a, b)
// Declares `lhs` from a Result-returning expression, or returns its error.
#define XR_ASSIGN_OR_RETURN(lhs, expr) \
  XR_ASSIGN_OR_RETURN_IMPL_(XR_CONCAT_(xr_result_, __LINE__), lhs, expr)
#define XR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.is_ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

// The FastCGI wire format (FastCGI 1.0 specification) for the stream role, which reads and
// writes records itself on non-blocking sockets: libfcgi's one-blocking-thread-per-request
// model cannot hold thousands of open requests. Pure functions on byte strings; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xr::app::fcgi {

enum RecordType : uint8_t {
  kBeginRequest = 1,
  kAbortRequest = 2,
  kEndRequest = 3,
  kParams = 4,
  kStdin = 5,
  kStdout = 6,
  kStderr = 7,
  kData = 8,
  kGetValues = 9,
  kGetValuesResult = 10,
  kUnknownType = 11,
};
enum ProtocolStatus : uint8_t { kRequestComplete = 0, kCantMpxConn = 1, kOverloaded = 2, kUnknownRole = 3 };
constexpr uint16_t kResponder = 1;
constexpr uint8_t kKeepConn = 1;
constexpr size_t kHeaderSize = 8;
constexpr size_t kMaxContent = 65535;

struct Record {
  uint8_t type = 0;
  uint16_t request_id = 0;
  std::string_view content;  // into the parsed buffer
};

// Parses the record at the front of `in`. Returns the bytes it takes (header, content,
// padding), 0 when `in` does not hold all of it yet, -1 when it is not FastCGI version 1.
long parse_record(std::string_view in, Record* out);

// Decodes a PARAMS (or GET_VALUES) body of name-value pairs; false when malformed.
bool parse_pairs(std::string_view data, std::vector<std::pair<std::string, std::string>>* out);
// Encodes name-value pairs (for GET_VALUES_RESULT and the tests).
std::string encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs);

// Appends one record (content <= kMaxContent), never padded (see fcgi_wire.cpp).
void append_record(std::string* out, uint8_t type, uint16_t request_id, std::string_view content);
// Appends `data` as STDOUT records of at most kMaxContent bytes (nothing for empty data:
// an empty STDOUT record would end the stream).
void append_stdout(std::string* out, uint16_t request_id, std::string_view data);
// Appends the end of a request: an empty STDOUT record, then END_REQUEST.
void append_end(std::string* out, uint16_t request_id, uint32_t app_status = 0,
                uint8_t protocol_status = kRequestComplete);
// BEGIN_REQUEST content (for the tests, which play nginx).
std::string begin_body(uint16_t role, uint8_t flags);

}  // namespace xr::app::fcgi

// ResponseDecoder: the push interface shared by the XML-RPC and JSON-RPC response
// readers. Bytes are fed as they arrive from the network; one decoder per response,
// used by one thread. Never blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xapi/value.h"

namespace xr::xapi {

// Bounds that keep hostile or broken input from exhausting memory or the stack.
struct DecodeLimits {
  size_t max_depth = 64;                            // nested values
  size_t max_string_bytes = 64u << 20;              // one string / member name
  uint64_t max_document_bytes = uint64_t{8} << 30;  // whole response body
};

// Streams the items of one array member of the result struct (e.g. "events" of an
// event.from result) to `sink` one by one instead of storing them, so memory is bounded
// by what the sink keeps. The member is then left as an empty array in the result.
// With `sax` set, a reader that supports it (JSON-RPC) hands each item to it as parser
// events instead, without building a Value (the XML-RPC reader still calls `sink`).
class ItemSax;
struct StreamSpec {
  std::string member;
  std::function<Status(Value&&)> sink;
  ItemSax* sax = nullptr;
};

// Receives one streamed item at a time as RapidJSON-style SAX events (keys and strings
// already checked against DecodeLimits), then end_item(); an error there stops the parse.
class ItemSax {
 public:
  virtual ~ItemSax() = default;
  virtual void null() = 0;
  virtual void boolean(bool b) = 0;
  virtual void integer(int64_t i) = 0;
  virtual void real(double d) = 0;
  virtual void string(std::string_view s) = 0;
  virtual void key(std::string_view k) = 0;
  virtual void start_object() = 0;
  virtual void end_object() = 0;
  virtual void start_array() = 0;
  virtual void end_array() = 0;
  virtual Status end_item() = 0;
};

class ResponseDecoder {
 public:
  virtual ~ResponseDecoder() = default;
  // Parses the next chunk; an error is sticky (later calls return it again).
  virtual Status feed(std::string_view chunk) = 0;
  // Ends the document. The result value on Success, Status::xapi(code, params) on a XAPI
  // failure, kProtocol for malformed or truncated input.
  virtual Result<Value> finish() = 0;
};

enum class WireFormat { kXmlRpc, kJsonRpc };

std::unique_ptr<ResponseDecoder> make_response_decoder(WireFormat format, DecodeLimits limits = {},
                                                       StreamSpec stream = {});

// Convenience: decodes a complete in-memory response.
Result<Value> decode_response(WireFormat format, std::string_view body, DecodeLimits limits = {},
                              StreamSpec stream = {});

// Turns an envelope-less result into the final outcome: a Failure envelope
// {Status: Failure, ErrorDescription: [...]} becomes Status::xapi.
Status xapi_failure_from(const Value& error_description);

}  // namespace xr::xapi

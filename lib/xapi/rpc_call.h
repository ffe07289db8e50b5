// One RPC exchange with one host: encode (XML-RPC or JSON-RPC), POST, decode the answer
// while it arrives. Blocking; uses the caller's HttpClient, so one thread at a time.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "xapi/http_client.h"
#include "xapi/response_decoder.h"

namespace xr::xapi {

struct CallOptions {
  long timeout_ms = 0;  // 0 = the endpoint's rpc_timeout_ms; < 0 = no total bound
  // Abort when less than 1 byte/s arrives for this long (0 = off): the bound of a call
  // whose answer may take long but must keep flowing (a large pool's whole dump).
  long low_speed_time_s = 0;
  StreamSpec stream;    // stream an array member of the result (event.from "events")
  DecodeLimits limits;
  const std::atomic<bool>* cancel = nullptr;
};

// Message prefix of the error returned when a host does not serve JSON-RPC (HTTP error
// on /jsonrpc, or an answer that is not application/json: very old xapi).
inline constexpr std::string_view kNoJsonRpcPrefix = "JSON-RPC not served: ";

// `base_url` is "scheme://host[:port]"; XML-RPC posts to "/", JSON-RPC to "/jsonrpc".
Result<Value> rpc_call(HttpClient& http, const EndpointOptions& endpoint, std::string_view base_url,
                       WireFormat format, std::string_view method, const std::vector<Value>& params,
                       const CallOptions& options);

}  // namespace xr::xapi

// JSON-RPC (v1 and v2) response reader on RapidJSON's SAX reader (iterative, so deep
// nesting cannot overflow the stack). The body is buffered until finish(); the items of
// a streamed member still go to the sink one by one. One reader per response, one thread.
#pragma once

#include <string>
#include <string_view>

#include "xapi/response_decoder.h"

namespace xr::xapi {

class JsonRpcReader final : public ResponseDecoder {
 public:
  explicit JsonRpcReader(DecodeLimits limits = {}, StreamSpec stream = {});
  Status feed(std::string_view chunk) override;
  Result<Value> finish() override;

 private:
  DecodeLimits limits_;
  StreamSpec stream_;
  std::string body_;
  Status error_;
  bool finished_ = false;
};

// `{"jsonrpc":"2.0","method":m,"params":[...],"id":id}`
std::string jsonrpc_request(std::string_view method, const std::vector<Value>& params, int64_t id);

}  // namespace xr::xapi

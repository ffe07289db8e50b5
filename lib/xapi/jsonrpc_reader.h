// JSON-RPC (v1 and v2) response reader on RapidJSON's SAX reader (iterative, so deep
// nesting cannot overflow the stack). JsonRpcReader buffers the body and parses it in
// finish(); jsonrpc_parse_pipe() parses while bytes arrive through a bounded ChunkPipe
// (another thread produces them), so memory is bounded by what the sink keeps. Both
// run the parse, hence every allocation and the sink, on the calling thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xapi/chunk_pipe.h"
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

// Parses a response read from `pipe` until its producer closes it; closes the consumer
// side when done (also on error) so a blocked producer is released. Blocks.
Result<Value> jsonrpc_parse_pipe(ChunkPipe& pipe, const DecodeLimits& limits, StreamSpec stream);

// `{"jsonrpc":"2.0","method":m,"params":[...],"id":id}`
std::string jsonrpc_request(std::string_view method, const std::vector<Value>& params, int64_t id);

}  // namespace xr::xapi

// JSON-RPC (v1 and v2) response reader on RapidJSON's SAX reader (iterative, so deep
// nesting cannot overflow the stack). One reader per response, fed by one thread.
// Without a StreamSpec the body is buffered and parsed in finish(). With one, a helper
// thread parses while bytes arrive (through a bounded ChunkPipe), so memory is bounded
// by what the sink keeps; the sink then runs on that helper thread, and finish() joins it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "xapi/chunk_pipe.h"

#include "xapi/response_decoder.h"

namespace xr::xapi {

class JsonRpcReader final : public ResponseDecoder {
 public:
  explicit JsonRpcReader(DecodeLimits limits = {}, StreamSpec stream = {});
  ~JsonRpcReader() override;
  JsonRpcReader(const JsonRpcReader&) = delete;
  JsonRpcReader& operator=(const JsonRpcReader&) = delete;
  Status feed(std::string_view chunk) override;
  Result<Value> finish() override;

 private:
  void parse_streamed();  // the helper thread's body
  void stop_parser();

  DecodeLimits limits_;
  StreamSpec stream_;
  std::string body_;
  uint64_t fed_ = 0;
  Status error_;
  bool finished_ = false;
  // Streaming mode.
  std::unique_ptr<ChunkPipe> pipe_;
  std::thread parser_;
  Status parse_status_;  // written by the parser thread, read after join
  Value parsed_root_;
};

// `{"jsonrpc":"2.0","method":m,"params":[...],"id":id}`
std::string jsonrpc_request(std::string_view method, const std::vector<Value>& params, int64_t id);

}  // namespace xr::xapi

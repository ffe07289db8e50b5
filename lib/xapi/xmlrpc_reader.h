// Streaming XML-RPC response reader on libxml2's SAX2 push parser (no DOM): decodes
// every value type xapi emits, the Success/Failure envelope and envelope-less answers
// (system.listMethods). One reader per response, one thread; never blocks.
#pragma once

#include <memory>
#include <string_view>

#include "xapi/response_decoder.h"

namespace xr::xapi {

class XmlRpcReader final : public ResponseDecoder {
 public:
  // `envelope` false: return the single value as is (for task.result fragments).
  explicit XmlRpcReader(DecodeLimits limits = {}, StreamSpec stream = {}, bool envelope = true);
  ~XmlRpcReader() override;
  XmlRpcReader(const XmlRpcReader&) = delete;
  XmlRpcReader& operator=(const XmlRpcReader&) = delete;

  Status feed(std::string_view chunk) override;
  Result<Value> finish() override;

  struct State;  // parser state, shared with the SAX callbacks

 private:
  std::unique_ptr<State> state_;
};

// Decodes a bare `<value>...</value>` fragment (task.result). An empty fragment is "".
Result<Value> xmlrpc_decode_value(std::string_view fragment, DecodeLimits limits = {});

}  // namespace xr::xapi

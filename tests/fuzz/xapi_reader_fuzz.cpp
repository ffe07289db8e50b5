// libFuzzer target for lib/xapi's response readers: bit 0 of the first byte picks XML-RPC
// or JSON-RPC, bit 1 streaming ("events" to a sink) or not, the other bits where the
// body is cut in two chunks (the push parsers' chunk edges). Small limits. Must never
// crash, leak or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xapi/jsonrpc_reader.h"
#include "xapi/response_decoder.h"
#include "xapi/xmlrpc_reader.h"

using namespace xr;
using namespace xr::xapi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  WireFormat format = (data[0] & 1) ? WireFormat::kJsonRpc : WireFormat::kXmlRpc;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  DecodeLimits limits;
  limits.max_depth = 32;
  limits.max_string_bytes = 1 << 16;
  limits.max_document_bytes = 1 << 20;
  size_t events = 0;
  StreamSpec spec{"events", [&](Value&& v) {
                    ++events;
                    (void)v.get_string("ref");
                    return Status::ok();
                  }};
  size_t cut = (data[0] >> 2) % (body.size() + 1);
  if (format == WireFormat::kJsonRpc && (data[0] & 2)) {  // the pipe path of streamed calls
    ChunkPipe pipe;
    (void)pipe.push(body.substr(0, cut));
    (void)pipe.push(body.substr(cut));
    pipe.close_producer();
    Result<Value> r = jsonrpc_parse_pipe(pipe, limits, spec);
    if (r.is_ok()) (void)r->as_struct();
    return 0;
  }
  auto decoder = make_response_decoder(format, limits, (data[0] & 2) ? spec : StreamSpec{});
  if (decoder->feed(body.substr(0, cut)).is_ok()) (void)decoder->feed(body.substr(cut));
  Result<Value> r = decoder->finish();
  if (r.is_ok()) (void)r->as_struct();
  if (format == WireFormat::kXmlRpc) (void)xmlrpc_decode_value(body, limits);
  return 0;
}

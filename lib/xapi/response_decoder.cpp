#include "xapi/response_decoder.h"

#include "xapi/jsonrpc_reader.h"
#include "xapi/xmlrpc_reader.h"

namespace xr::xapi {

std::unique_ptr<ResponseDecoder> make_response_decoder(WireFormat format, DecodeLimits limits,
                                                       StreamSpec stream) {
  if (format == WireFormat::kJsonRpc)
    return std::make_unique<JsonRpcReader>(limits, std::move(stream));
  return std::make_unique<XmlRpcReader>(limits, std::move(stream));
}

Result<Value> decode_response(WireFormat format, std::string_view body, DecodeLimits limits,
                              StreamSpec stream) {
  auto decoder = make_response_decoder(format, limits, std::move(stream));
  XR_RETURN_IF_ERROR(decoder->feed(body));
  return decoder->finish();
}

Status xapi_failure_from(const Value& error_description) {
  auto items = error_description.as_array();
  if (!items.is_ok() || (*items)->empty())
    return Status(ErrorKind::kProtocol, "XAPI failure without an error code");
  std::vector<std::string> params;
  std::string code;
  for (const Value& item : **items) {
    std::string text;
    if (auto s = item.as_string(); s.is_ok())
      text = std::string(*s);
    else if (auto i = item.as_int(); i.is_ok())
      text = std::to_string(*i);
    else if (auto b = item.as_bool(); b.is_ok())
      text = *b ? "true" : "false";
    if (code.empty() && params.empty() && &item == &(*items)->front())
      code = std::move(text);
    else
      params.push_back(std::move(text));
  }
  if (code.empty()) return Status(ErrorKind::kProtocol, "XAPI failure without an error code");
  return Status::xapi(std::move(code), std::move(params));
}

}  // namespace xr::xapi

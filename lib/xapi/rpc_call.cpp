#include "xapi/rpc_call.h"

#include <atomic>

#include "xapi/jsonrpc_reader.h"
#include "xapi/xmlrpc_writer.h"

namespace xr::xapi {

Result<Value> rpc_call(HttpClient& http, const EndpointOptions& endpoint, std::string_view base_url,
                       WireFormat format, std::string_view method, const std::vector<Value>& params,
                       const CallOptions& options) {
  static std::atomic<int64_t> next_id{1};
  bool json = format == WireFormat::kJsonRpc;
  std::string body =
      json ? jsonrpc_request(method, params, next_id.fetch_add(1)) : xmlrpc_request(method, params);
  auto decoder = make_response_decoder(format, options.limits, options.stream);
  HttpRequest rq;
  rq.method = "POST";
  rq.url = std::string(base_url) + (json ? "/jsonrpc" : "/");
  rq.headers = {json ? "Content-Type: application/json" : "Content-Type: text/xml"};
  rq.body = body;
  rq.total_timeout_ms = options.timeout_ms > 0 ? options.timeout_ms : endpoint.rpc_timeout_ms;
  rq.cancel = options.cancel;
  bool started = false;
  rq.sink = [&](std::string_view chunk) {
    if (json && !started) {
      // An XML or HTML answer to /jsonrpc means "no JSON-RPC here", not a broken peer.
      std::string_view rest =
          chunk.substr(std::min(chunk.find_first_not_of(" \t\r\n"), chunk.size()));
      if (rest.empty()) return Status::ok();
      if (rest.front() != '{')
        return Status(ErrorKind::kProtocol, std::string(kNoJsonRpcPrefix) + "answer is not JSON");
      started = true;
    }
    return decoder->feed(chunk);
  };
  XR_ASSIGN_OR_RETURN(HttpResponse resp, http.perform(rq));
  if (json && (resp.status == 404 || resp.status == 403 || resp.status == 500 ||
               resp.content_type.rfind("application/json", 0) != 0)) {
    return Status(ErrorKind::kProtocol, std::string(kNoJsonRpcPrefix) + "HTTP " +
                                            std::to_string(resp.status) + ", content-type " +
                                            resp.content_type);
  }
  if (resp.status != 200) {
    return Status(ErrorKind::kTransport,
                  std::string(method) + ": HTTP status " + std::to_string(resp.status));
  }
  return decoder->finish();
}

}  // namespace xr::xapi

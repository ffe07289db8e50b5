#include "xapi/rpc_call.h"

#include <atomic>
#include <system_error>
#include <thread>

#include "xapi/chunk_pipe.h"
#include "xapi/jsonrpc_reader.h"
#include "xapi/xmlrpc_writer.h"

namespace xr::xapi {
namespace {

// An XML or HTML answer to /jsonrpc means "no JSON-RPC here", not a broken peer.
Status check_json_start(std::string_view chunk, bool* started) {
  if (*started) return Status::ok();
  size_t first = chunk.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::ok();
  if (chunk[first] != '{')
    return Status(ErrorKind::kProtocol, std::string(kNoJsonRpcPrefix) + "answer is not JSON");
  *started = true;
  return Status::ok();
}

Status check_response(const HttpResponse& resp, bool json, std::string_view method) {
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
  return Status::ok();
}

// The decoder is fed from curl's write callback on this thread.
Result<Value> call_pushed(HttpClient& http, HttpRequest& rq, WireFormat format,
                          std::string_view method, const CallOptions& options) {
  bool json = format == WireFormat::kJsonRpc;
  auto decoder = make_response_decoder(format, options.limits, options.stream);
  bool started = false;
  Status not_json;  // the body is drained so that the error can say the status and type seen
  rq.sink = [&](std::string_view chunk) {
    if (json && not_json.is_ok()) not_json = check_json_start(chunk, &started);
    return not_json.is_ok() ? decoder->feed(chunk) : Status::ok();
  };
  XR_ASSIGN_OR_RETURN(HttpResponse resp, http.perform(rq));
  XR_RETURN_IF_ERROR(check_response(resp, json, method));
  XR_RETURN_IF_ERROR(not_json);
  return decoder->finish();
}

// JSON-RPC with a streamed member: RapidJSON pulls, so the network transfer runs on a
// helper thread feeding a bounded pipe while this thread parses (and allocates).
Result<Value> call_json_streamed(HttpClient& http, HttpRequest& rq, std::string_view method,
                                 const CallOptions& options) {
  ChunkPipe pipe;
  bool started = false;
  bool parser_gone = false;
  uint64_t fed = 0;
  Status not_json;  // drained (the parser then fails) so that the error says what was seen
  rq.sink = [&](std::string_view chunk) {
    if (not_json.is_ok()) not_json = check_json_start(chunk, &started);
    if (!not_json.is_ok()) return Status::ok();
    fed += chunk.size();
    if (fed > options.limits.max_document_bytes)
      return Status(ErrorKind::kResourceExhausted, "JSON-RPC: response too large");
    if (pipe.push(chunk)) return Status::ok();
    parser_gone = true;
    return Status(ErrorKind::kCancelled, "parser stopped");
  };
  Result<HttpResponse> resp = Status(ErrorKind::kInternal, "not run");
  std::thread net;
  try {
    net = std::thread([&] {
      resp = http.perform(rq);
      pipe.close_producer();
    });
  } catch (const std::system_error& e) {
    return Status(ErrorKind::kInternal, std::string("cannot start a thread: ") + e.what());
  }
  Result<Value> value = jsonrpc_parse_pipe(pipe, options.limits, options.stream);
  net.join();
  if (!resp.is_ok()) return parser_gone && !value.is_ok() ? value.status() : resp.status();
  XR_RETURN_IF_ERROR(check_response(*resp, true, method));
  XR_RETURN_IF_ERROR(not_json);
  return value;
}

}  // namespace

Result<Value> rpc_call(HttpClient& http, const EndpointOptions& endpoint, std::string_view base_url,
                       WireFormat format, std::string_view method, const std::vector<Value>& params,
                       const CallOptions& options) {
  static std::atomic<int64_t> next_id{1};
  bool json = format == WireFormat::kJsonRpc;
  std::string body =
      json ? jsonrpc_request(method, params, next_id.fetch_add(1)) : xmlrpc_request(method, params);
  HttpRequest rq;
  rq.method = "POST";
  rq.url = std::string(base_url) + (json ? "/jsonrpc" : "/");
  rq.headers = {json ? "Content-Type: application/json" : "Content-Type: text/xml"};
  rq.body = body;
  rq.total_timeout_ms = options.timeout_ms > 0 ? options.timeout_ms : options.timeout_ms < 0 ? 0 : endpoint.rpc_timeout_ms;
  rq.low_speed_time_s = options.low_speed_time_s;
  rq.cancel = options.cancel;
  if (json && options.stream.sink) return call_json_streamed(http, rq, method, options);
  return call_pushed(http, rq, format, method, options);
}

}  // namespace xr::xapi

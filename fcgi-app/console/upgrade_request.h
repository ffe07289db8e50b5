// The console's HTTP side: the request head nginx forwards (`GET /api/consoles/<vm id>`
// with `Upgrade: websocket`), parsed and checked before anything else happens: route, VM
// id syntax, the WebSocket handshake headers, and the Origin (a browser page of another
// site must not open a console with the user's cookie: cross-site WebSocket hijacking).
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace xr::app {

struct UpgradeRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  // The header's value (repeated ones joined with ", "); "" when absent.
  std::string header(std::string_view lower_name) const;
  bool has(std::string_view lower_name) const;
};

// `head`: the bytes before the blank line. kInvalidArgument when it is not HTTP/1.1.
Result<UpgradeRequest> parse_upgrade_head(std::string_view head);

// The VM id of `/api/consoles/<id>` (a uuid, lower or upper case); kNotFound for any other
// path, kInvalidArgument for an id that is not a uuid (named in the message).
Result<std::string> console_vm_id(const UpgradeRequest& req);

// RFC 6455 §4.2.1: GET, `Upgrade: websocket`, `Connection` listing upgrade,
// `Sec-WebSocket-Version: 13`, a 16-byte base64 `Sec-WebSocket-Key`. kInvalidArgument
// naming what is wrong (426 for a version we do not speak is left to the caller).
Status check_websocket_headers(const UpgradeRequest& req);

// An absent Origin (not a browser: curl, scripts) passes; otherwise its scheme, host and
// port must be the request's own (Host, and X-Forwarded-Proto set by nginx), else kForbidden.
Status check_same_origin(const UpgradeRequest& req);

// "binary" when the client offers it in Sec-WebSocket-Protocol (noVNC, XO 6's UI), else "".
std::string pick_subprotocol(const UpgradeRequest& req);

// FastCGI-style parameters ("NAME=value") for the workers' Request and authenticate():
// method, URI, Cookie, Authorization, REMOTE_ADDR (nginx's X-Real-IP).
std::vector<std::string> request_env(const UpgradeRequest& req);

}  // namespace xr::app

// The one place where errors become HTTP: ErrorKind -> status code, and XO's JSON error
// body {"error": message, "data": {...}, "info": ...}. Worker request threads.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "worker/response.h"

namespace xr::app {

// HTTP status for an error kind (400, 401, 404, 409, 500, 503, ...).
int http_status(const Status& status);
// Writes the error as XO does. `data_json` is a JSON object text or empty.
// A 401 also carries `WWW-Authenticate: Basic realm="xo"`.
void write_error(Response& response, const Status& status, std::string_view data_json);
// XO's 404 for an unknown object: "no such <type> <id>", with {"id","type"} written to
// *data_json for the error body.
Status no_such(std::string_view type, std::string_view id, std::string* data_json);

}  // namespace xr::app

// The one place where errors become HTTP: ErrorKind -> status code, and XO's JSON error
// body {"error": message, "data": {...}, "info": ...}. Worker request threads.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "worker/response.h"

namespace xr::app {

// HTTP status for an error kind (400, 401, 404, 409, 412, 500, 503, 504, ...); a XAPI
// failure is 500, or 409 when its code says the object's state forbids it.
int http_status(const Status& status);
bool is_conflict_code(std::string_view code);
// Writes the error as XO does. `data_json` is a JSON object text or empty.
// A 401 also carries `WWW-Authenticate: Basic realm="xo"`. A 422 (kInvalidParameters) always
// has "data" ({} when none); its message is written as an object when it is one (FieldErrors).
void write_error(Response& response, const Status& status, std::string_view data_json);
// tsoa's request validation failure as XO answers it (422): the "error" member is the field
// map itself, {"<param>": {"message": ..., "value": ...}, ...}, and "data" is {}.
class FieldErrors {
 public:
  // `value_json`: the offending value as JSON text (a string, or an array for a repeated key).
  void add(std::string_view name, std::string_view message, std::string_view value_json);
  bool empty() const { return map_.empty(); }
  // kInvalidParameters whose message is the field map's JSON text (write_error sends it as
  // an object). REQUIRES: !empty().
  Status status() const { return Status(ErrorKind::kInvalidParameters, "{" + map_ + "}"); }

 private:
  std::string map_;  // members, comma-separated
};

// XO's 404 for an unknown object: "no such <type> <id>", with {"id","type"} written to
// *data_json for the error body.
Status no_such(std::string_view type, std::string_view id, std::string* data_json);

}  // namespace xr::app

#include "routes/http_errors.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/utf8.h"
#include "routes/json_text.h"

namespace xr::app {

Status no_such(std::string_view type, std::string_view id, std::string* data_json) {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "id", to_valid_utf8(id));  // a decoded path segment: any bytes
  put_kv(w, "type", type);
  w.EndObject();
  *data_json = text_of(b);
  return Status(ErrorKind::kNotFound, "no such " + std::string(type) + " " + std::string(id));
}

void FieldErrors::add(std::string_view name, std::string_view message, std::string_view value_json) {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  w.StartObject();
  put_kv(w, "message", message);
  w.Key("value");
  w.RawValue(value_json.data(), value_json.size(), rapidjson::kStringType);
  w.EndObject();
  std::string key;
  {
    rapidjson::StringBuffer kb;
    JsonWriter kw(kb);
    kw.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    key = text_of(kb);
  }
  if (!map_.empty()) map_.push_back(',');
  map_.append(key).push_back(':');
  map_.append(text_of(b));
}

bool is_conflict_code(std::string_view code) {
  // XAPI's "the object's state does not allow it" failures: XO answers them 409 (incorrect
  // state); the body keeps XAPI's code and parameters.
  static constexpr std::string_view kCodes[] = {
      "VM_BAD_POWER_STATE", "OTHER_OPERATION_IN_PROGRESS", "OPERATION_NOT_ALLOWED",
      "OPERATION_BLOCKED", "VDI_IN_USE", "VM_IS_TEMPLATE", "VM_IS_SNAPSHOT", "SR_HAS_PBD",
      "SR_NOT_EMPTY", "NETWORK_CONTAINS_PIF", "NETWORK_CONTAINS_VIF", "DEVICE_ALREADY_ATTACHED",
      "DEVICE_ALREADY_DETACHED", "VM_HAS_VGPU", "HA_IS_ENABLED", "VDI_IS_A_PHYSICAL_DEVICE",
      "SR_INDESTRUCTIBLE", "SR_NO_PBDS", "MEMORY_CONSTRAINT_VIOLATION_ORDER",
      "MEMORY_CONSTRAINT_VIOLATION_MAXPIN"};
  for (std::string_view c : kCodes) {
    if (c == code) return true;
  }
  return false;
}

int http_status(const Status& status) {
  switch (status.kind()) {
    case ErrorKind::kOk: return 200;
    case ErrorKind::kInvalidArgument: return 400;
    case ErrorKind::kUnauthorized: return 401;
    case ErrorKind::kForbidden: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kGone: return 410;
    case ErrorKind::kInvalidParameters: return 422;
    case ErrorKind::kTooManyRequests: return 429;
    case ErrorKind::kResourceExhausted: return 413;
    case ErrorKind::kTransport:  // a pool we cannot reach (yet): try again later
    case ErrorKind::kTimeout:
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kPreconditionFailed: return 412;
    case ErrorKind::kGatewayTimeout: return 504;
    case ErrorKind::kXapi: return is_conflict_code(status.code()) ? 409 : 500;
    case ErrorKind::kProtocol:
    case ErrorKind::kCancelled:
    case ErrorKind::kIo:
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

void write_error(Response& response, const Status& status, std::string_view data_json) {
  const int code = http_status(status);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  // XAPI errors keep their code as the message and their parameters in data.
  // Messages may quote client input (decoded paths): never invalid UTF-8 in a JSON answer.
  const std::string message = to_valid_utf8(status.kind() == ErrorKind::kXapi ? status.code() : status.message());
  const bool field_map = status.kind() == ErrorKind::kInvalidParameters && !message.empty() &&
                         message.front() == '{';
  if (field_map) {
    w.RawValue(message.data(), message.size(), rapidjson::kObjectType);
  } else {
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  }
  if (status.kind() == ErrorKind::kXapi) {
    w.Key("data");
    w.StartObject();
    w.Key("code");
    w.String(status.code().c_str());
    w.Key("params");
    w.StartArray();
    for (const auto& p : status.params()) w.String(p.c_str());
    w.EndArray();
    w.EndObject();
    w.Key("info");
    w.String("This is a XenServer/XCP-ng error, not an XO error");
  } else if (!data_json.empty()) {
    w.Key("data");
    w.RawValue(data_json.data(), data_json.size(), rapidjson::kObjectType);
  } else if (status.kind() == ErrorKind::kInvalidParameters) {
    w.Key("data");
    w.RawValue("{}", 2, rapidjson::kObjectType);
  }
  w.EndObject();
  if (code == 401) response.add_header("WWW-Authenticate", "Basic realm=\"xo\"");
  response.send(code, "application/json; charset=utf-8",
                std::string_view(buf.GetString(), buf.GetSize()));
}

}  // namespace xr::app

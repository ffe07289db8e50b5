#include "filter/filter.h"

#include <cstdio>

#include "filter/parser.h"

namespace xr::filter {
namespace {

void append_json_string(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

Result<Filter> Filter::compile(std::string_view text) {
  XR_ASSIGN_OR_RETURN(Program program, parse_filter(text));
  return Filter(std::make_shared<const Program>(std::move(program)), std::string(text));
}

Result<Filter> compile_query_filter(std::string_view raw) { return Filter::compile(raw); }

std::string filter_error_body(const Status& error, std::string_view raw) {
  std::string out = "{\"error\":";
  append_json_string(error.message(), &out);
  out += ",\"data\":{\"stringToParse\":";
  append_json_string(raw, &out);
  out += "}}";
  return out;
}

}  // namespace xr::filter

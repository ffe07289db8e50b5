#include "xapi/xmlrpc_writer.h"

#include <cinttypes>
#include <cstdio>
#include <limits>

namespace xr::xapi {

void xmlrpc_append_escaped(std::string* out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\t':
      case '\n':
      case '\r':
        out->push_back(c);
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out->push_back(c);
    }
  }
}

namespace {

void append_int(std::string* out, int64_t i) {
  char buf[32];
  bool small = i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max();
  std::snprintf(buf, sizeof buf, "%" PRId64, i);
  out->append(small ? "<int>" : "<i8>").append(buf).append(small ? "</int>" : "</i8>");
}

void append_double(std::string* out, double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  out->append("<double>").append(buf).append("</double>");
}

}  // namespace

void xmlrpc_append_value(std::string* out, const Value& v) {
  out->append("<value>");
  switch (v.type()) {
    case ValueType::kNil:
      out->append("<nil/>");
      break;
    case ValueType::kString:
      xmlrpc_append_escaped(out, *v.as_string());
      break;
    case ValueType::kInt:
      append_int(out, *v.as_int());
      break;
    case ValueType::kBool:
      out->append(*v.as_bool() ? "<boolean>1</boolean>" : "<boolean>0</boolean>");
      break;
    case ValueType::kDouble:
      append_double(out, *v.as_double());
      break;
    case ValueType::kDateTime:
      out->append("<dateTime.iso8601>");
      xmlrpc_append_escaped(out, *v.as_string());
      out->append("</dateTime.iso8601>");
      break;
    case ValueType::kArray:
      out->append("<array><data>");
      for (const Value& item : **v.as_array()) xmlrpc_append_value(out, item);
      out->append("</data></array>");
      break;
    case ValueType::kStruct:
      out->append("<struct>");
      for (const Member& m : **v.as_struct()) {
        out->append("<member><name>");
        xmlrpc_append_escaped(out, m.name);
        out->append("</name>");
        xmlrpc_append_value(out, m.value);
        out->append("</member>");
      }
      out->append("</struct>");
      break;
  }
  out->append("</value>");
}

std::string xmlrpc_request(std::string_view method, const std::vector<Value>& params) {
  std::string out = "<?xml version=\"1.0\"?><methodCall><methodName>";
  xmlrpc_append_escaped(&out, method);
  out.append("</methodName><params>");
  for (const Value& p : params) {
    out.append("<param>");
    xmlrpc_append_value(&out, p);
    out.append("</param>");
  }
  out.append("</params></methodCall>");
  return out;
}

}  // namespace xr::xapi

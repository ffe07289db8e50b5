#include "routes/list_output.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <strings.h>

#include "base/rapidjson_view.h"
#include "routes/etag.h"
#include "routes/http_errors.h"

namespace xr::app {

namespace {

bool is_true_flag(std::string_view v) {
  return !(v.size() == 5 && strncasecmp(v.data(), "false", 5) == 0);
}

// validator.js isFloat (what tsoa checks a float query parameter with):
// ^[-+]?[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)?$, and not "", ".", "-", "+".
bool is_float_text(std::string_view s) {
  if (s.empty() || s == "." || s == "-" || s == "+") return false;
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (s[i] == '-' || s[i] == '+') ++i;
  digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits();
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// XO's limit after validation (parseFloat of a valid text): counted down to exactly 0, so
// only a non-negative integer that decrements exactly (< 2^53) is a limit; NaN ("-.",
// "e5"), negative, fractional or huge values return everything.
std::optional<size_t> effective_limit(const std::string& text) {
  const bool has_digit = text.find_first_of("0123456789") < text.find_first_of("eE");
  if (!has_digit) return std::nullopt;  // parseFloat gives NaN
  const double d = std::strtod(text.c_str(), nullptr);
  if (!(d >= 0) || d != std::floor(d) || d >= 9007199254740992.0) return std::nullopt;
  return static_cast<size_t>(d);
}

std::string json_string(std::string_view s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(b.GetString(), b.GetSize());
}

// All values of a repeated key as the JSON array Express's query parser makes of them.
std::string json_values(const Request& req, std::string_view key) {
  std::string out = "[";
  for (const auto& [k, v] : req.query()) {
    if (k != key) continue;
    if (out.size() > 1) out.push_back(',');
    out.append(json_string(v));
  }
  return out + "]";
}

std::vector<std::string> split_fields(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  for (;;) {
    size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

Result<ListOptions> parse_list_options(const Request& req, std::string* error_data) {
  (void)error_data;
  FieldErrors errors;
  ListOptions o;
  // XO's parameter order (fields, ndjson, markdown, filter, limit) is the field map's order.
  struct Param {
    const char* key;
    const char* type_error;
  };
  for (const Param& p : {Param{"fields", "invalid string value"}, Param{"ndjson", "invalid boolean value"},
                         Param{"markdown", "invalid boolean value"}, Param{"filter", "invalid string value"},
                         Param{"limit", "invalid float number"}}) {
    const int n = req.query_count(p.key);
    if (n == 0) continue;
    if (n > 1) {  // Express makes an array of a repeated key: never what tsoa expects
      errors.add(p.key, p.type_error, json_values(req, p.key));
      continue;
    }
    const std::string_view v = *req.query_value(p.key);
    const std::string_view key = p.key;
    if (key == "fields") {
      o.has_fields = true;
      o.all_fields = v == "*";
      if (!o.all_fields) o.fields = split_fields(v);
    } else if (key == "ndjson") {
      o.ndjson = is_true_flag(v);  // the seed's bare ?ndjson too (README compatibility table)
    } else if (key == "markdown") {
      if (v == "true") {
        o.markdown = true;
      } else if (!(v.size() == 4 && strncasecmp(v.data(), "true", 4) == 0) &&
                 !(v.size() == 5 && strncasecmp(v.data(), "false", 5) == 0)) {
        errors.add(p.key, p.type_error, json_string(v));
      }
    } else if (key == "filter") {
      o.filter = std::string(v);
    } else if (!is_float_text(v)) {
      errors.add(p.key, p.type_error, json_string(v));
    } else {
      o.limit = effective_limit(std::string(v));
    }
  }
  if (!errors.empty()) return errors.status();
  if (o.ndjson && o.markdown) {
    return Status(ErrorKind::kInvalidParameters,
                  "Cannot use both ndjson and markdown output formats simultaneously");
  }
  return o;
}

std::string string_to_parse_data(std::string_view raw) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("stringToParse");
  w.String(raw.data(), static_cast<rapidjson::SizeType>(raw.size()));
  w.EndObject();
  return b.GetString();
}

Result<std::optional<filter::Filter>> compile_list_filter(const ListOptions& options,
                                                          std::string* error_data) {
  std::optional<filter::Filter> out;
  if (!options.filter || options.filter->empty()) return out;
  auto f = filter::compile_query_filter(*options.filter);
  if (!f.is_ok()) {
    *error_data = string_to_parse_data(*options.filter);
    return f.status();
  }
  if (!f->matches_everything()) out = std::move(f).value();
  return out;
}

bool passes(const std::optional<filter::Filter>& filter, const rapidjson::Value& object) {
  return !filter || filter->matches(RapidJsonView(&object));
}

void ListWriter::add_object(const rapidjson::Value& object, std::string_view href,
                            const std::optional<filter::Filter>& filter) {
  if (!passes(filter, object)) return;
  if (!options_.has_fields) {
    add_href(href);
  } else {
    add_json(project_object(object, options_, href));
  }
}

std::string_view list_content_type(const ListOptions& options) {
  if (options.markdown) return "text/markdown; charset=utf-8";
  return options.ndjson ? "application/x-ndjson" : "application/json; charset=utf-8";
}

ListWriter::ListWriter(Response& res, const ListOptions& options, const Request* etag_request)
    : res_(res), options_(options), etag_request_(etag_request) {
  res_.set_content_type(list_content_type(options));
  // NDJSON is buffered by nginx like JSON (issue 17, defect 4): nginx passes it on as its
  // buffers fill, and takes the whole answer off the worker (memory, then its temp files),
  // so a client reading slowly never holds a request thread. Long-lived streams (watch,
  // SSE) are the stream role's, unbuffered.
}

bool ListWriter::write(std::string_view text) {
  if (etag_request_ == nullptr) return res_.write(text);
  body_.append(text);
  return true;
}

bool ListWriter::element(std::string_view text) {
  ++count_;
  if (options_.markdown) {
    std::string line;
    markdown_.add(text, line);
    return write(line);
  }
  if (options_.ndjson) return write(text) && write("\n");
  if (!started_) {
    started_ = true;
    return write("[\n") && write(text);
  }
  return write(",\n") && write(text);
}

bool ListWriter::add_href(std::string_view href) {
  std::string quoted;
  quoted.reserve(href.size() + 2);
  quoted.push_back('"');
  quoted.append(href);  // hrefs are built from ids checked to be JSON-safe
  quoted.push_back('"');
  return element(quoted);
}

bool ListWriter::add_json(std::string_view object_json) { return element(object_json); }

bool ListWriter::finish() {
  if (options_.markdown) {
    std::string tail;
    markdown_.finish(tail);
    if (!tail.empty() && !write(tail)) return false;
  } else if (!options_.ndjson) {
    if (!write(started_ ? "\n]\n" : "[]\n")) return false;
  }
  if (etag_request_ != nullptr) {
    const std::string etag = body_etag(body_);
    res_.add_header("ETag", etag);
    if (if_none_match(*etag_request_, etag)) return res_.send(304, "", "");
    return res_.send(200, list_content_type(options_), body_);
  }
  return res_.finish();
}

namespace {

using Alloc = rapidjson::Document::AllocatorType;

// Member lookup by a length-delimited name. (A bare StringRef would convert to const char*
// and be looked up up to its NUL: "b" inside "b.c" would search for "b.c".)
template <typename V>
auto find_member(V& object, std::string_view name) {
  return object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
}

// Copies the value at dotted `path` of `src` into `dst` at the same path.
void pick_path(const rapidjson::Value& src, std::string_view path, rapidjson::Value& dst, Alloc& a) {
  size_t dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  if (!src.IsObject()) return;
  auto it = find_member(src, head);
  if (it == src.MemberEnd()) return;
  rapidjson::Value key(head.data(), static_cast<rapidjson::SizeType>(head.size()), a);
  if (dot == std::string_view::npos) {
    if (dst.HasMember(key)) dst.RemoveMember(key);
    dst.AddMember(key, rapidjson::Value(it->value, a), a);
    return;
  }
  auto existing = dst.FindMember(key);
  if (existing == dst.MemberEnd()) {
    dst.AddMember(key, rapidjson::Value(rapidjson::kObjectType), a);
    existing = find_member(dst, head);
  }
  if (!existing->value.IsObject()) return;
  pick_path(it->value, path.substr(dot + 1), existing->value, a);
}

}  // namespace

std::string project_object(const rapidjson::Value& object, const ListOptions& options,
                           std::string_view href) {
  rapidjson::Document out(rapidjson::kObjectType);
  Alloc& a = out.GetAllocator();
  if (options.all_fields) {
    out.CopyFrom(object, a);
  } else {
    for (const auto& f : options.fields) {
      auto lit = find_member(object, f);
      if (lit != object.MemberEnd()) {  // a literal key containing a dot wins
        out.AddMember(rapidjson::Value(f.data(), static_cast<rapidjson::SizeType>(f.size()), a),
                      rapidjson::Value(lit->value, a), a);
      } else {
        pick_path(object, f, out, a);
      }
    }
  }
  out.RemoveMember("href");
  out.AddMember("href", rapidjson::Value(href.data(), static_cast<rapidjson::SizeType>(href.size()), a), a);
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  out.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace xr::app

#include "routes/list_output.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <strings.h>

#include "base/rapidjson_view.h"

namespace xr::app {

namespace {

bool is_true_flag(std::string_view v) {
  return !(v.size() == 5 && strncasecmp(v.data(), "false", 5) == 0);
}

Status parse_limit(std::string_view text, std::optional<size_t>* out, std::string* error_data) {
  char* end = nullptr;
  std::string s(text);
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || std::isnan(d)) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("limit");
    w.String(s.c_str());
    w.EndObject();
    *error_data = b.GetString();
    return Status(ErrorKind::kInvalidArgument, "invalid limit: not a number");
  }
  // XO (current) counts down to exactly 0: negative or fractional limits return everything.
  if (d >= 0 && d == std::floor(d)) *out = static_cast<size_t>(d);
  return Status::ok();
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
  for (const char* key : {"fields", "limit", "filter", "ndjson"}) {
    if (req.query_count(key) > 1) {
      return Status(ErrorKind::kInvalidArgument, std::string("parameter ") + key + " given twice");
    }
  }
  ListOptions o;
  if (auto f = req.query_value("fields")) {
    o.has_fields = true;
    o.all_fields = *f == "*";
    if (!o.all_fields) o.fields = split_fields(*f);
  }
  if (auto l = req.query_value("limit")) XR_RETURN_IF_ERROR(parse_limit(*l, &o.limit, error_data));
  if (auto n = req.query_value("ndjson")) o.ndjson = is_true_flag(*n);
  if (auto f = req.query_value("filter")) o.filter = std::string(*f);
  return o;
}

Result<std::optional<filter::Filter>> compile_list_filter(const ListOptions& options,
                                                          std::string* error_data) {
  std::optional<filter::Filter> out;
  if (!options.filter || options.filter->empty()) return out;
  auto f = filter::compile_query_filter(*options.filter);
  if (!f.is_ok()) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    w.StartObject();
    w.Key("stringToParse");
    w.String(options.filter->c_str(), static_cast<rapidjson::SizeType>(options.filter->size()));
    w.EndObject();
    *error_data = b.GetString();
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

ListWriter::ListWriter(Response& res, const ListOptions& options) : res_(res), options_(options) {
  res_.set_content_type(options.ndjson ? "application/x-ndjson"
                                       : "application/json; charset=utf-8");
  // NDJSON is for streaming: ask nginx not to buffer it.
  if (options.ndjson) res_.add_header("X-Accel-Buffering", "no");
}

bool ListWriter::element(std::string_view text) {
  ++count_;
  if (options_.ndjson) return res_.write(text) && res_.write("\n");
  if (!started_) {
    started_ = true;
    return res_.write("[\n") && res_.write(text);
  }
  return res_.write(",\n") && res_.write(text);
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
  if (!options_.ndjson) {
    if (!res_.write(started_ ? "\n]\n" : "[]\n")) return false;
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

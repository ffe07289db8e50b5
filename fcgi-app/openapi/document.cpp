#include "openapi/document.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <set>
#include <sstream>

#include "openapi/catalogue.h"
#include "openapi/xo_objects.h"
#include "routes/idempotency.h"
#include "routes/route_table.h"

#ifndef XR_VERSION
#define XR_VERSION "0.0.0"
#endif

namespace xr::app::openapi {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr std::string_view kPrefix = "rest/v0";

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t i = s.find(sep);
    std::string_view part = s.substr(0, i);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.push_back(part);
    s = i == std::string_view::npos ? std::string_view() : s.substr(i + 1);
  }
  return out;
}

// The query parameter names of a route, "@list" expanded.
std::vector<std::string_view> query_names(const RouteDoc& d) {
  std::vector<std::string_view> out;
  for (std::string_view n : split(d.query, ' ')) {
    if (n == "@list") {
      for (std::string_view m : split(kListQuery, ' ')) out.push_back(m);
    } else {
      out.push_back(n);
    }
  }
  return out;
}

// One "STATUS [SCHEMA]" item of RouteDoc::result.
struct Answer {
  int status = 0;
  std::string_view schema;  // "" none
  bool list = false;        // "[X]"
};

bool parse_answer(std::string_view item, Answer* a) {
  auto parts = split(item, ' ');
  if (parts.empty() || parts.size() > 2) return false;
  a->status = 0;
  for (char c : parts[0]) {
    if (c < '0' || c > '9') return false;
    a->status = a->status * 10 + (c - '0');
  }
  if (a->status < 200 || a->status > 599) return false;
  if (parts.size() == 2) {
    std::string_view s = parts[1];
    a->list = s.size() > 2 && s.front() == '[' && s.back() == ']';
    a->schema = a->list ? s.substr(1, s.size() - 2) : s;
  }
  return true;
}

std::vector<std::string_view> path_params(std::string_view pattern) {
  std::vector<std::string_view> out;
  for (std::string_view seg : split(pattern, '/')) {
    if (seg == "**") out.push_back("path");
    // "{id}" or "{id}.{format}": every {name} of the segment
    for (size_t open = seg.find('{'); open != std::string_view::npos; open = seg.find('{', open + 1)) {
      size_t close = seg.find('}', open);
      if (close == std::string_view::npos) break;
      out.push_back(seg.substr(open + 1, close - open - 1));
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view doc_method(const Route& r) { return r.method == "*" ? "GET" : r.method; }

// --- schemas ---------------------------------------------------------------------------

struct SchemaSet {
  rapidjson::Document objects;                     // xo_objects.json
  std::map<std::string, const Value*, std::less<>> schemas;   // name -> schema
  std::map<std::string, const Value*, std::less<>> examples;  // name -> one example
  std::map<std::string, std::string_view, std::less<>> collection_of;

  SchemaSet() {
    std::string_view text = xo_objects_json();
    objects.Parse(text.data(), text.size());
    if (objects.IsObject()) {
      for (auto& m : objects.GetObject()) {
        const std::string name = m.name.GetString();
        if (m.value.HasMember("schema")) schemas[name] = &m.value["schema"];
        if (m.value.HasMember("examples") && m.value["examples"].IsArray() && !m.value["examples"].Empty()) {
          examples[name] = &m.value["examples"][0];
        }
      }
    }
    for (const XoObjectDoc& d : xo_object_docs()) collection_of[std::string(d.schema)] = d.collection;
  }
  bool known(std::string_view name) const {
    if (name == "string") return true;
    if (schemas.count(name)) return true;
    for (const NamedSchema& s : fixed_schemas()) {
      if (s.name == name) return true;
    }
    return false;
  }
};

const SchemaSet& schema_set() {
  static const SchemaSet s;
  return s;
}

Value parse_into(std::string_view text, Alloc& a) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  Value v;
  if (!d.HasParseError()) v.CopyFrom(d, a);
  return v;
}

Value str(std::string_view s, Alloc& a) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a); }

Value ref_to(std::string_view name, Alloc& a) {
  Value v(rapidjson::kObjectType);
  v.AddMember("$ref", str("#/components/schemas/" + std::string(name), a), a);
  return v;
}

// The same object schema with nothing required and an href: what `fields=` list items are.
Value partial_of(const Value& schema, Alloc& a) {
  Value v(schema, a);
  if (v.IsObject()) {
    v.RemoveMember("required");
    if (!v.HasMember("properties")) v.AddMember("properties", Value(rapidjson::kObjectType), a);
    Value href(rapidjson::kObjectType);
    href.AddMember("type", "string", a);
    href.AddMember("description", "URL of the object", a);
    v["properties"].RemoveMember("href");
    v["properties"].AddMember("href", href, a);
  }
  return v;
}

// One example object for a schema name, or null.
Value example_of(std::string_view name, Alloc& a) {
  const SchemaSet& set = schema_set();
  if (auto it = set.examples.find(name); it != set.examples.end()) return Value(*it->second, a);
  for (const NamedSchema& s : fixed_schemas()) {
    if (s.name == name && !s.example.empty()) return parse_into(s.example, a);
  }
  return Value();
}

std::string_view default_fields(std::string_view name) {
  for (const XoObjectDoc& d : xo_object_docs()) {
    if (d.schema == name) return d.default_fields;
  }
  return {};
}

// The two examples of a list: its URLs, and objects projected on the default fields.
Value list_examples(std::string_view name, Alloc& a) {
  Value examples(rapidjson::kObjectType);
  const SchemaSet& set = schema_set();
  std::vector<const Value*> objects;
  if (auto it = set.objects.FindMember(std::string(name).c_str()); it != set.objects.MemberEnd()) {
    if (it->value.HasMember("examples") && it->value["examples"].IsArray()) {
      for (const Value& o : it->value["examples"].GetArray()) objects.push_back(&o);
    }
  }
  Value fixed = example_of(name, a);
  if (objects.empty() && fixed.IsObject()) objects.push_back(&fixed);
  if (objects.empty()) return examples;
  std::string_view coll = set.collection_of.count(name) ? set.collection_of.find(name)->second : "";
  auto href_of = [&](const Value& o) {
    std::string id = o.HasMember("id") && o["id"].IsString() ? o["id"].GetString() : "";
    return "/rest/v0/" + std::string(coll.empty() ? lower(name) : std::string(coll)) + "/" + id;
  };
  Value urls(rapidjson::kArrayType), projected(rapidjson::kArrayType);
  std::vector<std::string_view> fields = split(default_fields(name), ',');
  for (const Value* o : objects) {
    urls.PushBack(str(href_of(*o), a), a);
    Value p(rapidjson::kObjectType);
    for (auto& m : o->GetObject()) {
      bool keep = fields.empty();
      for (std::string_view f : fields) keep = keep || f == m.name.GetString();
      if (keep) p.AddMember(Value(m.name, a), Value(m.value, a), a);
    }
    p.AddMember("href", str(href_of(*o), a), a);
    projected.PushBack(p, a);
  }
  Value e1(rapidjson::kObjectType), e2(rapidjson::kObjectType);
  e1.AddMember("summary", "the URLs (no fields)", a);
  e1.AddMember("value", urls, a);
  e2.AddMember("summary", "objects (fields=...)", a);
  e2.AddMember("value", projected, a);
  examples.AddMember("urls", e1, a);
  examples.AddMember("objects", e2, a);
  return examples;
}

// --- operations ------------------------------------------------------------------------

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted: the work goes on as a task";
    case 204: return "No content";
    case 304: return "Not modified (If-None-Match matched the ETag)";
    case 307: return "Temporary redirect (Location)";
    case 400: return "Bad request: a parameter or the body is invalid";
    case 401: return "Missing or invalid credentials";
    case 403: return "Not enough permissions";
    case 404: return "No such object";
    case 409: return "Conflict with the object's current state";
    case 412: return "Precondition failed: If-Match named another version of the object";
    case 413: return "Body too large";
    case 422: return "Unprocessable entity";
    case 500: return "XAPI or internal error (a XAPI error keeps its code and params in data)";
    case 503: return "Not available yet: a pool is not synchronised, or the service is disabled";
    case 504: return "XAPI accepted the change but it did not reach the cache in time";
    default: return "Answer";
  }
}

Value error_response(int status, Alloc& a) {
  Value r(rapidjson::kObjectType);
  r.AddMember("description", str(status_text(status), a), a);
  Value media(rapidjson::kObjectType);
  media.AddMember("schema", ref_to("Error", a), a);
  Value content(rapidjson::kObjectType);
  content.AddMember("application/json", media, a);
  r.AddMember("content", content, a);
  return r;
}

Value answer_response(const Answer& ans, bool ndjson, bool markdown, Alloc& a) {
  if (ans.status >= 400) return error_response(ans.status, a);
  Value r(rapidjson::kObjectType);
  r.AddMember("description", str(status_text(ans.status), a), a);
  if (ans.schema.empty()) return r;
  Value content(rapidjson::kObjectType);
  Value media(rapidjson::kObjectType);
  if (ans.list) {
    Value strings(rapidjson::kObjectType);
    strings.AddMember("type", "array", a);
    Value items(rapidjson::kObjectType);
    items.AddMember("type", "string", a);
    strings.AddMember("items", items, a);
    if (ans.schema == "string") {
      media.AddMember("schema", strings, a);
    } else {
      Value objects(rapidjson::kObjectType);
      objects.AddMember("type", "array", a);
      objects.AddMember("items", ref_to(std::string(ans.schema) + "Partial", a), a);
      Value any(rapidjson::kArrayType);
      any.PushBack(strings, a);
      any.PushBack(objects, a);
      Value schema(rapidjson::kObjectType);
      schema.AddMember("anyOf", any, a);
      media.AddMember("schema", schema, a);
      Value ex = list_examples(ans.schema, a);
      if (ex.MemberCount() > 0) media.AddMember("examples", ex, a);
    }
  } else {
    media.AddMember("schema", ans.schema == "string" ? parse_into(R"({"type":"string"})", a)
                                                     : ref_to(ans.schema, a), a);
    Value ex = example_of(ans.schema, a);
    if (!ex.IsNull()) {
      Value e(rapidjson::kObjectType), examples(rapidjson::kObjectType);
      e.AddMember("value", ex, a);
      examples.AddMember("example", e, a);
      media.AddMember("examples", examples, a);
    }
  }
  content.AddMember("application/json", media, a);
  if (ans.list && ndjson) {
    Value nd(rapidjson::kObjectType);
    nd.AddMember("schema", parse_into(R"({"type":"string","description":"one JSON object per line"})", a), a);
    content.AddMember("application/x-ndjson", nd, a);
  }
  if (ans.list && markdown) {
    Value md(rapidjson::kObjectType);
    md.AddMember("schema", parse_into(R"({"type":"string","description":"XO's markdown table"})", a), a);
    content.AddMember("text/markdown", md, a);
  }
  r.AddMember("content", content, a);
  return r;
}

std::string_view path_param_text(std::string_view name) {
  if (name == "id") return "the object's id (uuid; OpaqueRefs are accepted too)";
  if (name == "path") return "the rest of the path";
  if (name == "format") return "the file format: xva for VMs; vhd or raw for VDIs";
  if (name == "tag") return "the tag, percent-encoded (spaces and any Unicode allowed)";
  return "identifier";
}

Value operation(const Route& r, Alloc& a) {
  const RouteDoc& d = r.doc;
  Value op(rapidjson::kObjectType);
  op.AddMember("operationId", str(d.operation_id, a), a);
  op.AddMember("summary", str(d.summary, a), a);
  std::string path = path_of(r.pattern);
  auto segs = split(path, '/');
  Value tags(rapidjson::kArrayType);
  tags.PushBack(str(segs.empty() ? "root" : segs[0], a), a);
  op.AddMember("tags", tags, a);

  Value params(rapidjson::kArrayType);
  for (std::string_view name : path_params(r.pattern)) {
    Value p(rapidjson::kObjectType);
    p.AddMember("name", str(name, a), a);
    p.AddMember("in", "path", a);
    p.AddMember("required", true, a);
    p.AddMember("description", str(path_param_text(name), a), a);
    p.AddMember("schema", parse_into(R"({"type":"string"})", a), a);
    params.PushBack(p, a);
  }
  bool ndjson = false, markdown = false;
  const auto qnames = query_names(d);
  for (std::string_view name : qnames) {
    const QueryParam* q = find_query_param(name);
    if (q == nullptr) continue;
    ndjson = ndjson || name == "ndjson";
    markdown = markdown || name == "markdown";
    Value p(rapidjson::kObjectType);
    p.AddMember("name", str(name, a), a);
    p.AddMember("in", "query", a);
    p.AddMember("required", false, a);
    p.AddMember("description", str(q->description, a), a);
    p.AddMember("schema", parse_into(q->schema, a), a);
    if (!q->example.empty()) p.AddMember("example", parse_into(q->example, a), a);
    params.PushBack(p, a);
  }
  if (idempotency_applies(r)) {
    Value p(rapidjson::kObjectType);
    p.AddMember("name", "Idempotency-Key", a);
    p.AddMember("in", "header", a);
    p.AddMember("required", false, a);
    p.AddMember("description",
                "A retry with the same key and the same request within 24 h gets the first answer "
                "(with Idempotent-Replayed: true) instead of acting twice; the key on another request is "
                "a 422, while the first is still running a 409",
                a);
    p.AddMember("schema", parse_into(R"({"type":"string","minLength":1,"maxLength":255})", a), a);
    params.PushBack(p, a);
  }
  if (!params.Empty()) op.AddMember("parameters", params, a);

  if (!d.body.empty()) {
    Value media(rapidjson::kObjectType);
    media.AddMember("schema", ref_to(d.body, a), a);
    Value ex = example_of(d.body, a);
    if (!ex.IsNull()) media.AddMember("example", ex, a);
    Value content(rapidjson::kObjectType);
    content.AddMember("application/json", media, a);
    Value body(rapidjson::kObjectType);
    body.AddMember("content", content, a);
    op.AddMember("requestBody", body, a);
  }

  std::map<int, Value> responses;
  for (std::string_view item : split(d.result, ',')) {
    Answer ans;
    if (parse_answer(item, &ans)) responses[ans.status] = answer_response(ans, ndjson, markdown, a);
  }
  auto add_error = [&](int status) {
    if (!responses.count(status)) responses[status] = error_response(status, a);
  };
  if (!qnames.empty() || !d.body.empty()) add_error(400);
  if (!qnames.empty() || !d.body.empty()) add_error(422);  // XO's field map for a bad value
  add_error(401);  // credentials, when given, are checked even on public routes
  if (r.access != Access::kPublic) add_error(403);
  if (!path_params(r.pattern).empty()) add_error(404);
  Value resp(rapidjson::kObjectType);
  for (auto& [status, v] : responses) resp.AddMember(str(std::to_string(status), a), v, a);
  op.AddMember("responses", resp, a);

  Value security(rapidjson::kArrayType);
  if (r.access != Access::kPublic) {
    for (const char* scheme : {"token", "basic"}) {
      Value s(rapidjson::kObjectType);
      s.AddMember(rapidjson::StringRef(scheme), Value(rapidjson::kArrayType), a);
      security.PushBack(s, a);
    }
  }
  op.AddMember("security", security, a);
  switch (d.mcp) {
    case Mcp::kAllow: op.AddMember("x-mcp-exposure", "allow", a); break;
    case Mcp::kConfirm: op.AddMember("x-mcp-exposure", "confirm", a); break;
    case Mcp::kDeny: op.AddMember("x-mcp-exposure", "deny", a); break;
    case Mcp::kUnset:
    case Mcp::kNone: break;
  }
  return op;
}

// Every schema the routes refer to, plus the partial variants of listed ones.
Value components_schemas(Alloc& a) {
  const SchemaSet& set = schema_set();
  std::set<std::string, std::less<>> listed;
  for (const Route& r : routes()) {
    for (std::string_view item : split(r.doc.result, ',')) {
      Answer ans;
      if (parse_answer(item, &ans) && ans.list && ans.schema != "string") listed.emplace(ans.schema);
    }
  }
  Value out(rapidjson::kObjectType);
  auto add = [&](std::string_view name, Value schema) {
    if (listed.count(name)) {
      Value partial = partial_of(schema, a);
      out.AddMember(str(std::string(name) + "Partial", a), partial, a);
    }
    out.AddMember(str(name, a), schema, a);
  };
  for (const NamedSchema& s : fixed_schemas()) add(s.name, parse_into(s.schema, a));
  for (const auto& [name, schema] : set.schemas) add(name, Value(*schema, a));
  return out;
}

// A tag per first path segment: the collection's objects, or what the routes are about.
std::string tag_text(std::string_view tag) {
  for (const XoObjectDoc& d : xo_object_docs()) {
    if (d.collection == tag) return "XO " + std::string(d.schema.substr(2)) + " objects: /" + std::string(tag);
  }
  if (tag == "root") return "the collection URLs";
  if (tag == "users") return "users and their authentication tokens";
  if (tag == "servers") return "the configured pools (XO's servers) and their connection state";
  if (tag == "docs") return "this OpenAPI document";
  if (tag == "mcp") return "XO's MCP server support";
  return "routes under /" + std::string(tag);
}

std::string build() {
  rapidjson::Document doc(rapidjson::kObjectType);
  Alloc& a = doc.GetAllocator();
  doc.AddMember("openapi", "3.1.0", a);
  Value info(rapidjson::kObjectType);
  info.AddMember("title", "xapi-rest", a);
  info.AddMember("version", XR_VERSION, a);
  info.AddMember("description",
                 "Xen Orchestra's REST API v0 served by xapi-rest for XCP-ng / XenServer pools. "
                 "Authenticate with the `authenticationToken` cookie (a token from "
                 "`xapi-rest token create`) or HTTP Basic with a user's password.",
                 a);
  doc.AddMember("info", info, a);
  doc.AddMember("servers", parse_into(R"([{"url":"/rest/v0"}])", a), a);

  Value paths(rapidjson::kObjectType);
  std::set<std::string> tag_names;
  for (const Route& r : routes()) {
    std::string path = path_of(r.pattern);
    if (path.empty()) continue;
    auto segs = split(path, '/');
    tag_names.insert(std::string(segs.empty() ? "root" : segs[0]));
    if (!paths.HasMember(path.c_str())) paths.AddMember(str(path, a), Value(rapidjson::kObjectType), a);
    Value& item = paths[path.c_str()];
    const std::string method = lower(doc_method(r));
    if (item.HasMember(method.c_str())) continue;  // an earlier row shadows this one
    item.AddMember(str(method, a), operation(r, a), a);
  }
  doc.AddMember("paths", paths, a);
  Value tags(rapidjson::kArrayType);
  for (const std::string& t : tag_names) {
    Value tag(rapidjson::kObjectType);
    tag.AddMember("name", str(t, a), a);
    tag.AddMember("description", str(tag_text(t), a), a);
    tags.PushBack(tag, a);
  }
  doc.AddMember("tags", tags, a);

  Value components(rapidjson::kObjectType);
  components.AddMember("schemas", components_schemas(a), a);
  components.AddMember(
      "securitySchemes",
      parse_into(R"({"token":{"type":"apiKey","in":"cookie","name":"authenticationToken","description":"a token from `xapi-rest token create` or POST /users/{id}/authentication_tokens"},"basic":{"type":"http","scheme":"basic","description":"a user's name and password"}})",
                 a),
      a);
  doc.AddMember("components", components, a);

  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  doc.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

std::string path_of(std::string_view pattern) {
  if (pattern != kPrefix && !pattern.starts_with(std::string(kPrefix) + "/")) return "";
  std::string out;
  for (std::string_view seg : split(pattern.substr(kPrefix.size()), '/')) {
    out += "/";
    out += seg == "**" ? std::string("{path}") : std::string(seg);
  }
  return out.empty() ? "/" : out;
}

const std::string& document_json() {
  static const std::string doc = build();
  return doc;
}

std::vector<std::string> check_routes(std::span<const Route> table) {
  std::vector<std::string> problems;
  std::set<std::string_view> ids;
  std::set<std::string> seen;
  const SchemaSet& set = schema_set();
  for (const Route& r : table) {
    const RouteDoc& d = r.doc;
    const std::string who = std::string(r.method) + " " + std::string(r.pattern) + ": ";
    auto problem = [&](const std::string& what) { problems.push_back(who + what); };
    if (d.operation_id.empty()) problem("no operation_id");
    if (d.summary.empty()) problem("no summary");
    if (d.mcp == Mcp::kUnset) problem("no mcp exposure (Mcp::kAllow, kConfirm, kDeny or kNone)");
    if (!d.operation_id.empty() && !ids.insert(d.operation_id).second) {
      problem("operation_id " + std::string(d.operation_id) + " is used twice");
    }
    if (!seen.insert(std::string(doc_method(r)) + " " + path_of(r.pattern)).second && !path_of(r.pattern).empty()) {
      problem("same method and path as an earlier row");
    }
    for (std::string_view q : query_names(d)) {
      if (find_query_param(q) == nullptr) problem("unknown query parameter " + std::string(q));
    }
    if (!d.body.empty() && !set.known(d.body)) problem("unknown body schema " + std::string(d.body));
    auto answers = split(d.result, ',');
    bool success = false;
    for (std::string_view item : answers) {
      Answer ans;
      if (!parse_answer(item, &ans)) {
        problem("bad result item \"" + std::string(item) + "\"");
      } else {
        success = success || ans.status < 400;
        if (!ans.schema.empty() && !set.known(ans.schema)) problem("unknown schema " + std::string(ans.schema));
      }
    }
    if (!success) problem("no success answer in result");
  }
  return problems;
}

}  // namespace xr::app::openapi

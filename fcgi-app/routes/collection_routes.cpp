#include "routes/collection_routes.h"
#include "routes/http_errors.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>
#include <vector>

#include "cache/json_scan.h"
#include "live/follower.h"
#include "live/revision.h"
#include "routes/etag.h"
#include "routes/json_text.h"
#include "routes/object_stream.h"
#include "worker/cache_access.h"
#include "worker/list_files.h"
#include "routes/scope_check.h"

namespace xr::app {

namespace {

// Collection name -> XO type (reference §a.2), for the 404 bodies.
constexpr std::array<std::pair<std::string_view, std::string_view>, 19> kCollections = {{
    {"pools", "pool"}, {"hosts", "host"}, {"vms", "VM"}, {"vm-templates", "VM-template"},
    {"vm-snapshots", "VM-snapshot"}, {"vm-controllers", "VM-controller"}, {"vdis", "VDI"},
    {"vdi-snapshots", "VDI-snapshot"}, {"srs", "SR"}, {"networks", "network"}, {"pifs", "PIF"},
    {"vifs", "VIF"}, {"vbds", "VBD"}, {"pbds", "PBD"}, {"messages", "message"},
    {"alarms", "message"}, {"sms", "SM"}, {"pcis", "PCI"}, {"pgpus", "PGPU"}}};

std::string_view type_of(std::string_view collection) {
  for (const auto& [c, t] : kCollections) {
    if (c == collection) return t;
  }
  return {};
}

bool is_vm_collection(std::string_view c) {
  return c == "vms" || c == "vm-templates" || c == "vm-snapshots" || c == "vm-controllers";
}

// Ids are uuids, "<pool>-<template>" ids or OpaqueRefs: anything else is no object.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == ':' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// XO serves /<collection>/<id>/messages and /alarms for these collections only.
bool has_message_routes(std::string_view c) {
  return c != "pbds" && c != "sms" && c != "pcis" && c != "pgpus" && c != "messages" && c != "alarms";
}

// The string member `quoted_key` ("\"id\"", with its quotes) of an object's JSON text
// (empty if none).
std::string top_level_string(std::string_view json, std::string_view quoted_key) {
  namespace scan = cache::scan;
  scan::ContainerCursor cursor(json.data(), json.data() + json.size());
  std::string_view key;
  const char* value = nullptr;
  const char* end = nullptr;
  while (cursor.next(&key, &value, &end)) {
    if (key != quoted_key || *value != '"') continue;
    std::string id;
    scan::unescape(value, end, &id);
    return id;
  }
  return {};
}

std::string object_id(std::string_view json) { return top_level_string(json, "\"id\""); }

// Sets the list's ETag (the cache version, read before the scan); true when it answered 304.
bool answered_by_list_etag(Context& ctx) {
  // The revision the list reflects at least (read before the scan): a watch with since=<it>
  // replays whatever changed after it (fcgi-app/stream).
  const cache::Reader& reader = ctx.svc.cache->reader();
  ctx.res.add_header("X-Revision", live::format_revision(live::revision_at(reader, reader.last_change_seq())));
  // A pool-scoped token's list is narrowed: its own ETag (tokens with the same pools share it).
  const std::string etag = list_etag(ctx.svc.cache->reader(), ctx.req.param("REQUEST_URI"), scope_pool_filter(ctx));
  ctx.res.add_header("ETag", etag);
  if (!if_none_match(ctx.req, etag)) return false;
  ctx.res.send(304, "", "");
  return true;
}

// Answers with the list's file, rendered once per cache generation, for nginx to send
// (fcgi-app/worker/list_files.h); false: answer directly. Only when nginx's site has the
// internal /_xr_list/ location (it says so with the XR_LIST_FILES parameter); auth and the
// request's checks happened before. A file nginx cannot open (removed meanwhile) sends it
// to @xr_list_miss, which asks again without XR_LIST_FILES. A filter past its budget while
// rendering is the request's error (nothing kept).
Result<bool> answered_by_list_file(Context& ctx, const ListQuery& q, std::string_view coll,
                                   std::string_view base) {
  if (ctx.svc.list_files == nullptr || ctx.req.param("XR_LIST_FILES") != "1") return false;
  // Files are shared by URI: a list narrowed to a token's pools is answered directly.
  if (!scope_pool_filter(ctx).empty()) return false;
  const cache::Reader& reader = ctx.svc.cache->reader();
  // Read after the ETag's: the file holds this generation or a later one, never an older one.
  const uint64_t seq = reader.last_change_seq();
  FilterBudget budget(ctx);
  Status rendered;
  auto name = ctx.svc.list_files->find_or_render(
      reader.instance(), seq, ctx.req.param("REQUEST_URI"), [&](const ListFiles::Write& write) {
        rendered = render_collection(reader, q, coll, base, budget, [](const cache::ObjectView&) { return true; },
                                     write);
        return rendered;
      });
  if (rendered.kind() == ErrorKind::kCancelled) return true;  // the client is gone: nobody to answer
  note_filter_error(ctx, q, rendered);
  if (!rendered.is_ok()) return rendered;
  if (!name) return false;
  // The query rides along (nginx ignores it when sending the file) so that @xr_list_miss
  // sends xapi-rest the original QUERY_STRING.
  std::string target = "/_xr_list/" + *name;
  if (const std::string_view qs = ctx.req.param("QUERY_STRING"); !qs.empty()) target.append("?").append(qs);
  if (!ctx.res.add_header("X-Accel-Redirect", target)) return false;
  ctx.res.send(200, list_content_type(q.options), "");
  return true;
}

Status not_found_route(Context& ctx) {
  return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
}

Status no_such_object(Context& ctx, std::string_view collection, std::string_view id) {
  return no_such(type_of(collection), id, &ctx.error_data);
}

// Appends the object's JSON (by id, or by OpaqueRef through its _xapiRef); false if absent.
Result<bool> find_object(const cache::Reader& reader, std::string_view coll, std::string_view id,
                         std::string& out) {
  XR_ASSIGN_OR_RETURN(bool found, reader.visit(coll, id, out, [](const cache::ObjectView& v,
                                                                 std::string& o) { v.append_json(o); }));
  if (found || id.rfind("OpaqueRef:", 0) != 0) return found;
  cache::ScanCursor cursor;
  cursor.limit = 1;
  while (!cursor.done) {
    XR_RETURN_IF_ERROR(reader.scan(coll, cursor, out, SIZE_MAX, [&](const cache::ObjectView& v, std::string& o) {
      cache::ObjectView ref;
      if (!v.find("_xapiRef", &ref) || ref.kind() != JsonKind::kString || ref.string() != id) return false;
      v.append_json(o);
      return true;
    }));
  }
  return cursor.emitted > 0;
}


// The VDIs (or VDI snapshots) plugged into a VM through its VBDs, as (collection, id).
std::vector<std::pair<std::string, std::string>> vm_vdis(const cache::Reader& reader,
                                                         std::string_view vm_coll, std::string_view vm_id) {
  std::vector<std::string> vbds;
  std::string scratch;
  (void)reader.visit(vm_coll, vm_id, scratch, [&](const cache::ObjectView& v, std::string&) {
    vbds.clear();
    cache::ObjectView list;
    if (!v.find("$VBDs", &list) || list.kind() != JsonKind::kArray) return;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list.at(i).kind() == JsonKind::kString) vbds.emplace_back(list.at(i).string());
    }
  });
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& vbd : vbds) {
    std::string vdi;
    (void)reader.visit("vbds", vbd, scratch, [&](const cache::ObjectView& v, std::string&) {
      cache::ObjectView f;
      vdi = v.find("VDI", &f) && f.kind() == JsonKind::kString ? std::string(f.string()) : "";
    });
    if (vdi.empty()) continue;
    for (const char* c : {"vdis", "vdi-snapshots"}) {
      auto found = reader.visit(c, vdi, scratch, [](const cache::ObjectView&, std::string&) {});
      if (found.is_ok() && *found) out.emplace_back(c, vdi);
    }
  }
  return out;
}

Status list_vm_vdis(Context& ctx, const ListQuery& q, std::string_view vm_coll, std::string_view vm_id) {
  const cache::Reader& reader = ctx.svc.cache->reader();
  ListWriter writer(ctx.res, q.options);
  for (const auto& [coll, id] : vm_vdis(reader, vm_coll, vm_id)) {
    if (writer.full()) break;
    std::string element;
    const std::string base = "/rest/v0/" + coll + "/";
    auto found = reader.visit(coll, id, element, [&](const cache::ObjectView& v, std::string& o) {
      if (q.filter && !q.filter->matches(v)) return;
      append_element(q, v, base, o);
    });
    if (found.is_ok() && !element.empty()) writer.add_json(element);
  }
  writer.finish();
  return Status::ok();
}

}  // namespace

bool is_object_collection(std::string_view collection) { return !type_of(collection).empty(); }

Result<std::string> configured_pool_of(Context& ctx, std::string_view pool_id) {
  for (const auto& st : ctx.svc.cache->reader().pool_statuses()) {
    if (st.pool_id == pool_id) return st.key;
  }
  return Status(ErrorKind::kUnavailable, "the pool " + std::string(pool_id) + " is not connected");
}

Status load_object(Context& ctx, std::string_view coll, std::string_view id, std::string* json) {
  if (!valid_id(id)) return no_such_object(ctx, coll, id);
  XR_RETURN_IF_ERROR(check_pools_ready(ctx));
  XR_ASSIGN_OR_RETURN(bool found, find_object(ctx.svc.cache->reader(), coll, id, *json));
  if (!found) return no_such_object(ctx, coll, id);
  return Status::ok();
}

// The route rows are "rest/v0/<collection>[/{id}[/<sub-collection>]]": the names are the
// request's segments 2 and 4 (the table only has rows for the names served).
Status list_collection(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  if (type_of(coll).empty()) return not_found_route(ctx);
  if (auto w = ctx.req.query_value("watch");
      w && !(w->size() == 5 && std::equal(w->begin(), w->end(), "false", [](char a, char b) {
               return (a | 0x20) == b;
             }))) {
    return Status(ErrorKind::kUnavailable,
                  "watch requests are served by the stream role: nginx must send them to "
                  "stream.socket (see nginx/xapi-rest.conf)");
  }
  XR_ASSIGN_OR_RETURN(ListQuery q, parse_list_query(ctx));
  XR_RETURN_IF_ERROR(check_pools_ready(ctx));
  add_data_age(ctx);
  if (answered_by_list_etag(ctx)) return Status::ok();
  const std::string base = "/rest/v0/" + coll + "/";
  XR_ASSIGN_OR_RETURN(const bool from_file, answered_by_list_file(ctx, q, coll, base));
  if (from_file) return Status::ok();
  return stream_collection(ctx, q, coll, base, [](const cache::ObjectView&) { return true; });
}

Status get_object(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  if (type_of(coll).empty()) return not_found_route(ctx);
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, coll, ctx.params[0], &json));
  add_data_age(ctx, top_level_string(json, "\"$pool\""));
  send_json_with_etag(ctx, json);
  return Status::ok();
}

Status list_sub_collection(Context& ctx) {
  const std::string& coll = ctx.req.segments()[2];
  const std::string& sub = ctx.req.segments()[4];
  const bool known = ((sub == "messages" || sub == "alarms") && has_message_routes(coll)) ||
                     (sub == "vdis" && is_vm_collection(coll));
  if (type_of(coll).empty() || !known) return not_found_route(ctx);
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, coll, ctx.params[0], &json));
  XR_ASSIGN_OR_RETURN(ListQuery q, parse_list_query(ctx));
  add_data_age(ctx, top_level_string(json, "\"$pool\""));
  if (answered_by_list_etag(ctx)) return Status::ok();
  const std::string id = object_id(json);
  if (sub == "vdis") return list_vm_vdis(ctx, q, coll, id);
  const std::string base = "/rest/v0/" + sub + "/";
  if (sub == "alarms") {  // alarms name their object as {"type","uuid","href"}
    return stream_collection(ctx, q, sub, base, [&](const cache::ObjectView& v) {
      cache::ObjectView object, uuid;
      return v.find("object", &object) && object.find("uuid", &uuid) &&
             uuid.kind() == JsonKind::kString && uuid.string() == id;
    });
  }
  return stream_collection(ctx, q, sub, base, [&](const cache::ObjectView& v) {
    cache::ObjectView target;
    return v.find("$object", &target) && target.kind() == JsonKind::kString && target.string() == id;
  });
}

}  // namespace xr::app

#include "routes/monitor_routes.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include "routes/collection_routes.h"
#include "routes/http_errors.h"
#include "routes/js_json.h"
#include "routes/object_stream.h"
#include "worker/cache_access.h"
#include "worker/xapi_reads.h"
#include "xo/rrd_stats.h"

namespace xr::app {

namespace {

using Doc = rapidjson::Document;
using Clock = std::chrono::steady_clock;

// Answers kept for a while in this worker process (XO keeps RRD answers `step` seconds per
// host, and debounces the patch listing 60 s per host). Bounded: the oldest entry goes first.
template <typename V>
class TtlCache {
 public:
  std::optional<V> get(const std::string& key, std::chrono::seconds ttl) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end() || Clock::now() - it->second.first >= ttl) return std::nullopt;
    return it->second.second;
  }
  void put(const std::string& key, V value) {
    std::lock_guard lock(mu_);
    if (map_.size() >= 32 && map_.find(key) == map_.end()) {
      auto oldest = map_.begin();
      for (auto it = map_.begin(); it != map_.end(); ++it) {
        if (it->second.first < oldest->second.first) oldest = it;
      }
      map_.erase(oldest);
    }
    map_[key] = {Clock::now(), std::move(value)};
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::pair<Clock::time_point, V>> map_;
};

struct RrdAnswer {
  std::shared_ptr<const Doc> rrd;
  int64_t server_time = 0;
};

TtlCache<RrdAnswer>& rrd_cache() {
  static TtlCache<RrdAnswer> c;
  return c;
}
TtlCache<std::shared_ptr<const Doc>>& patch_cache() {
  static TtlCache<std::shared_ptr<const Doc>> c;
  return c;
}

std::string_view str(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject()) return {};
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string_view(it->value.GetString(), it->value.GetStringLength())
             : std::string_view();
}

XapiReads* reads(Context& ctx) { return ctx.svc.xapi; }

Status no_reads() { return Status(ErrorKind::kInternal, "no XAPI access in this process"); }

// The configured pool whose pool object is `pool_id`.
Result<std::string> pool_name(Context& ctx, std::string_view pool_id) {
  for (const auto& st : ctx.svc.cache->reader().pool_statuses()) {
    if (st.pool_id == pool_id) return st.key;
  }
  return Status(ErrorKind::kTransport, "the pool " + std::string(pool_id) + " is not connected");
}

Result<PoolHost> host_of(Context& ctx, const rapidjson::Value& h) {
  PoolHost out;
  out.id = str(h, "id");
  out.ref = str(h, "_xapiRef");
  out.address = str(h, "address");
  out.name_label = str(h, "name_label");
  out.brand = str(h, "productBrand");
  XR_ASSIGN_OR_RETURN(out.pool, pool_name(ctx, str(h, "$pool")));
  return out;
}

Result<Doc> load_doc(Context& ctx, std::string_view coll, std::string_view id) {
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, coll, id, &json));
  Doc d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return Status(ErrorKind::kInternal, "unreadable cached object");
  return d;
}

Result<PoolHost> load_host(Context& ctx, std::string_view id, Doc* doc = nullptr) {
  XR_ASSIGN_OR_RETURN(Doc d, load_doc(ctx, "hosts", id));
  auto h = host_of(ctx, d);
  if (doc != nullptr) *doc = std::move(d);
  return h;
}

Result<RrdAnswer> fetch_rrd(Context& ctx, const PoolHost& host, int64_t step) {
  const std::string key = host.pool + "|" + host.id + "|" + std::to_string(step);
  if (auto hit = rrd_cache().get(key, std::chrono::seconds(step))) return *hit;
  if (reads(ctx) == nullptr) return no_reads();
  XR_ASSIGN_OR_RETURN(xapi::Value t, reads(ctx)->call(host.pool, "host.get_servertime", {xapi::Value::string(host.ref)}));
  XR_ASSIGN_OR_RETURN(std::string_view text, t.as_string());
  std::optional<int64_t> now = xo::parse_xapi_datetime(text);
  if (!now) return Status(ErrorKind::kProtocol, "host.get_servertime: not a date: " + std::string(text));
  // XO asks for one step less than the archive holds (not to cross its boundary).
  const int64_t start = *now - step * xo::stats_points(step) + step;
  XR_ASSIGN_OR_RETURN(std::string body,
                      reads(ctx)->get(host.pool, host.address, "/rrd_updates",
                                      {{"cf", "AVERAGE"}, {"host", "true"}, {"interval", std::to_string(step)},
                                       {"json", "true"}, {"start", std::to_string(start)}},
                                      size_t{1} << 30));
  auto doc = std::make_shared<Doc>();
  doc->Parse(body.data(), body.size());
  if (doc->HasParseError()) return Status(ErrorKind::kProtocol, "rrd_updates: not JSON");
  RrdAnswer a{std::move(doc), *now};
  rrd_cache().put(key, a);
  return a;
}

// ?granularity: XO's enum (tsoa union: "Value does not match any allowed schema").
Result<int64_t> granularity_step(Context& ctx) {
  const int n = ctx.req.query_count("granularity");
  if (n == 0) return int64_t{5};
  if (n == 1) {
    if (auto s = xo::stats_step(*ctx.req.query_value("granularity"))) return *s;
  }
  std::string value;
  {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    if (n > 1) w.StartArray();
    for (const auto& [k, v] : ctx.req.query()) {
      if (k == "granularity") w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    if (n > 1) w.EndArray();
    value.assign(b.GetString(), b.GetSize());
  }
  FieldErrors errors;
  errors.add("granularity", "Value does not match any allowed schema", value);
  return errors.status();
}

void send_js(Context& ctx, const rapidjson::Value& v) {
  ctx.res.send(200, "application/json; charset=utf-8", js_json(v));
}

// XO's Map keyed by `id ?? name`: a later patch with the same key replaces the earlier one
// in its place.
void add_patches(const rapidjson::Value& patches, rapidjson::Value& out, Doc::AllocatorType& a) {
  if (!patches.IsArray()) return;
  for (const auto& p : patches.GetArray()) {
    std::string_view key = str(p, "id");
    if (key.empty()) key = str(p, "name");
    bool replaced = false;
    for (auto& q : out.GetArray()) {
      std::string_view k = str(q, "id");
      if (k.empty()) k = str(q, "name");
      if (!key.empty() && k == key) {
        q.CopyFrom(p, a);
        replaced = true;
        break;
      }
    }
    if (!replaced) out.PushBack(rapidjson::Value(p, a), a);
  }
}

}  // namespace

Result<std::vector<PoolHost>> pool_hosts(Context& ctx, std::string_view pool_id, bool running_only) {
  const cache::Reader& reader = ctx.svc.cache->reader();
  std::vector<std::string> jsons;
  cache::ScanCursor cursor;
  std::string scratch;
  while (!cursor.done) {
    XR_RETURN_IF_ERROR(reader.scan("hosts", cursor, scratch, SIZE_MAX, [&](const cache::ObjectView& v, std::string&) {
      cache::ObjectView p, ps;
      if (!v.find("$pool", &p) || p.kind() != JsonKind::kString || p.string() != pool_id) return false;
      if (running_only && (!v.find("power_state", &ps) || ps.kind() != JsonKind::kString || ps.string() != "Running")) {
        return false;
      }
      std::string j;
      v.append_json(j);
      jsons.push_back(std::move(j));
      return false;
    }));
  }
  std::vector<PoolHost> out;
  for (const auto& j : jsons) {
    Doc d;
    d.Parse(j.data(), j.size());
    XR_ASSIGN_OR_RETURN(PoolHost h, host_of(ctx, d));
    out.push_back(std::move(h));
  }
  return out;
}

Status object_stats(Context& ctx, const PoolHost& host, std::string_view type, std::string_view uuid,
                    int64_t step, rapidjson::Value* out, Doc::AllocatorType& alloc) {
  XR_ASSIGN_OR_RETURN(RrdAnswer a, fetch_rrd(ctx, host, step));
  return xo::rrd_stats(*a.rrd, type, uuid, step, a.server_time, out, alloc);
}

Result<std::shared_ptr<const Doc>> host_missing_patches(Context& ctx, const PoolHost& host) {
  const std::string key = host.pool + "|" + host.id;
  if (auto hit = patch_cache().get(key, std::chrono::seconds(60))) return *hit;
  if (reads(ctx) == nullptr) return no_reads();
  xapi::Value args = xapi::Value::structure();
  XR_ASSIGN_OR_RETURN(xapi::Value r, reads(ctx)->call(host.pool, "host.call_plugin",
                                                      {xapi::Value::string(host.ref), xapi::Value::string("updater.py"),
                                                       xapi::Value::string("check_update"), std::move(args)}));
  XR_ASSIGN_OR_RETURN(std::string_view text, r.as_string());
  auto doc = std::make_shared<Doc>();
  doc->Parse(text.data(), text.size());
  if (doc->HasParseError()) return Status(ErrorKind::kProtocol, "updater.py check_update: not JSON");
  if (doc->IsObject() && doc->HasMember("error") && !(*doc)["error"].IsNull()) {
    const auto& e = (*doc)["error"];
    return Status(ErrorKind::kProtocol, e.IsString() ? e.GetString() : "updater.py check_update failed");
  }
  if (!doc->IsArray()) return Status(ErrorKind::kProtocol, "updater.py check_update: not a list");
  std::shared_ptr<const Doc> result = doc;
  patch_cache().put(key, result);
  return result;
}

Status get_vm_stats(Context& ctx) {
  const std::string& id = ctx.params[0];
  XR_ASSIGN_OR_RETURN(Doc vm, load_doc(ctx, "vms", id));
  XR_ASSIGN_OR_RETURN(int64_t step, granularity_step(ctx));
  const std::string_view container = str(vm, "$container");
  const std::string_view power = str(vm, "power_state");
  if (container.empty() || container == str(vm, "$pool") || (power != "Running" && power != "Paused")) {
    return Status(ErrorKind::kInvalidParameters, "VM " + id + " is halted or host could not be found.");
  }
  auto host = load_host(ctx, container);
  if (!host.is_ok()) return Status(ErrorKind::kInvalidParameters, "VM " + id + " is halted or host could not be found.");
  Doc out;
  XR_RETURN_IF_ERROR(object_stats(ctx, *host, "vm", str(vm, "uuid"), step, &out, out.GetAllocator()));
  send_js(ctx, out);
  return Status::ok();
}

Status get_host_stats(Context& ctx) {
  XR_ASSIGN_OR_RETURN(PoolHost host, load_host(ctx, ctx.params[0]));
  XR_ASSIGN_OR_RETURN(int64_t step, granularity_step(ctx));
  Doc out;
  XR_RETURN_IF_ERROR(object_stats(ctx, host, "host", host.id, step, &out, out.GetAllocator()));
  send_js(ctx, out);
  return Status::ok();
}

Status get_pool_stats(Context& ctx) {
  XR_ASSIGN_OR_RETURN(Doc pool, load_doc(ctx, "pools", ctx.params[0]));
  XR_ASSIGN_OR_RETURN(int64_t step, granularity_step(ctx));
  XR_ASSIGN_OR_RETURN(std::vector<PoolHost> hosts, pool_hosts(ctx, str(pool, "id"), false));
  Doc out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  for (const PoolHost& h : hosts) {
    rapidjson::Value stats;
    Status s = object_stats(ctx, h, "host", h.id, step, &stats, a);
    if (!s.is_ok()) {  // XO: {error} for this host, the others still answer
      stats.SetObject();
      rapidjson::Value e(rapidjson::kObjectType);
      const std::string& m = s.kind() == ErrorKind::kXapi && !s.code().empty() ? s.code() : s.message();
      e.AddMember("message", rapidjson::Value(m.c_str(), a), a);
      stats.AddMember("error", std::move(e), a);
    }
    out.AddMember(rapidjson::Value(h.id.c_str(), a), std::move(stats), a);
  }
  send_js(ctx, out);
  return Status::ok();
}

Status get_host_missing_patches(Context& ctx) {
  XR_ASSIGN_OR_RETURN(PoolHost host, load_host(ctx, ctx.params[0]));
  Doc out(rapidjson::kArrayType);
  // XO counts a failing host (nHostsFailed) and lists nothing for it.
  auto patches = host_missing_patches(ctx, host);
  if (patches.is_ok()) add_patches(**patches, out, out.GetAllocator());
  send_js(ctx, out);
  return Status::ok();
}

Status get_pool_missing_patches(Context& ctx) {
  XR_ASSIGN_OR_RETURN(Doc pool, load_doc(ctx, "pools", ctx.params[0]));
  XR_ASSIGN_OR_RETURN(std::vector<PoolHost> hosts, pool_hosts(ctx, str(pool, "id"), false));
  Doc out(rapidjson::kArrayType);
  for (const PoolHost& h : hosts) {
    auto patches = host_missing_patches(ctx, h);
    if (patches.is_ok()) add_patches(**patches, out, out.GetAllocator());
  }
  send_js(ctx, out);
  return Status::ok();
}

Status get_host_smt(Context& ctx) {
  Doc doc;
  XR_ASSIGN_OR_RETURN(PoolHost host, load_host(ctx, ctx.params[0], &doc));
  bool enabled = false;
  auto cpus = doc.FindMember("CPUs");
  std::string_view threads = cpus != doc.MemberEnd() ? str(cpus->value, "threads_per_core") : std::string_view();
  if (!threads.empty()) {  // XCP-ng 8.3 reports it (XO: threads_per_core > 1)
    enabled = std::strtod(std::string(threads).c_str(), nullptr) > 1;
  } else {
    if (reads(ctx) == nullptr) return no_reads();
    auto r = reads(ctx)->call(host.pool, "host.call_plugin",
                              {xapi::Value::string(host.ref), xapi::Value::string("hyperthreading.py"),
                               xapi::Value::string("get_hyperthreading"), xapi::Value::structure()});
    if (r.is_ok()) {
      auto text = r->as_string();
      enabled = !text.is_ok() || *text != "false";
    } else if (r.status().code() != "XENAPI_MISSING_PLUGIN" &&
               r.status().code() != "UNKNOWN_XENAPI_PLUGIN_FUNCTION") {
      return r.status();
    }
  }
  ctx.res.send(200, "application/json; charset=utf-8", enabled ? "{\"enabled\":true}" : "{\"enabled\":false}");
  return Status::ok();
}

Status get_host_logs(Context& ctx) {
  XR_ASSIGN_OR_RETURN(PoolHost host, load_host(ctx, ctx.params[0]));
  if (reads(ctx) == nullptr) return no_reads();
  ctx.res.set_content_type("application/gzip");
  bool gone = false;
  Status s = reads(ctx)->stream(host.pool, host.address, "/host_logs_download", {}, [&](std::string_view chunk) {
    if (!ctx.res.write(chunk)) {
      gone = true;
      return Status(ErrorKind::kCancelled, "client gone");
    }
    return Status::ok();
  });
  if (gone) return Status::ok();
  return s;  // before any byte: XO's error body; after: the answer is cut short
}

}  // namespace xr::app

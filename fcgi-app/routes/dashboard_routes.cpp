#include "routes/dashboard_routes.h"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "routes/collection_routes.h"
#include "routes/etag.h"
#include "routes/js_json.h"
#include "routes/monitor_routes.h"
#include "routes/object_stream.h"
#include "routes/scope_check.h"
#include "worker/cache_access.h"

namespace xr::app {

namespace {

using Doc = rapidjson::Document;
using Value = rapidjson::Value;
using Alloc = Doc::AllocatorType;

std::string_view str(const Value& o, const char* key) {
  if (!o.IsObject()) return {};
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string_view(it->value.GetString(), it->value.GetStringLength())
             : std::string_view();
}

double num(const Value& o, const char* key, double fallback = 0) {
  if (!o.IsObject()) return fallback;
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble() : fallback;
}

const Value* member(const Value& o, const char* key) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(key);
  return it == o.MemberEnd() ? nullptr : &it->value;
}

// Whether the object is in the pools the caller's token may see (a pool-scoped token's
// dashboards sum up its pools only; routes/scope_check.h).
bool in_scope(const Context& ctx, bool scoped, const cache::ObjectView& v) {
  if (!scoped) return true;
  cache::ObjectView pool;
  return v.find("$pool", &pool) && pool.kind() == JsonKind::kString && scope_allows_pool(ctx, pool.string());
}

// The objects of `coll` that pass `keep` (tested on the cache view) within the caller's
// pools, parsed.
Result<std::vector<Doc>> objects(Context& ctx, std::string_view coll,
                                 const std::function<bool(const cache::ObjectView&)>& keep) {
  const cache::Reader& reader = ctx.svc.cache->reader();
  const bool scoped = !scope_pool_filter(ctx).empty();
  std::vector<std::string> jsons;
  cache::ScanCursor cursor;
  std::string scratch;
  while (!cursor.done) {
    XR_RETURN_IF_ERROR(reader.scan(coll, cursor, scratch, SIZE_MAX, [&](const cache::ObjectView& v, std::string&) {
      if (!in_scope(ctx, scoped, v) || !keep(v)) return false;
      std::string j;
      v.append_json(j);
      jsons.push_back(std::move(j));
      return false;
    }));
  }
  std::vector<Doc> out(jsons.size());
  for (size_t i = 0; i < jsons.size(); ++i) out[i].Parse(jsons[i].data(), jsons[i].size());
  return out;
}

bool view_str_is(const cache::ObjectView& v, std::string_view key, std::string_view want) {
  cache::ObjectView f;
  return v.find(key, &f) && f.kind() == JsonKind::kString && f.string() == want;
}

bool sr_writable(const Value& sr) { return num(sr, "size") > 0 && str(sr, "content_type") != "iso"; }

Value obj() { return Value(rapidjson::kObjectType); }
Value s(std::string_view text, Alloc& a) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
}
Value n(double d) { return Value(d); }
Value n(int64_t i) { return Value(i); }
Value is_empty(Alloc& a) {
  Value v = obj();
  v.AddMember("isEmpty", true, a);
  return v;
}

// The parts of a dashboard: each written at once as an NDJSON line {"a":{"b":value}} when
// streaming, else kept and assembled in XO's order by finish().
class Parts {
 public:
  Parts(Context& ctx, bool ndjson) : ctx_(ctx), ndjson_(ndjson) {
    // Buffered by nginx like every worker answer (see ListWriter).
    if (ndjson_) ctx_.res.set_content_type("application/x-ndjson");
  }
  Alloc& alloc() { return doc_.GetAllocator(); }
  void set(const std::string& path, Value v) {
    if (ndjson_) {
      Doc line(rapidjson::kObjectType);
      Value* node = &line;
      size_t start = 0;
      for (;;) {
        const size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
          node->AddMember(Value(key.c_str(), line.GetAllocator()), Value(v, line.GetAllocator()), line.GetAllocator());
          break;
        }
        node->AddMember(Value(key.c_str(), line.GetAllocator()), obj(), line.GetAllocator());
        node = &(node->MemberEnd() - 1)->value;
        start = dot + 1;
      }
      ctx_.res.write(js_json(line) + "\n");
    }
    parts_.emplace(path, std::move(v));
  }
  // `layout`: the final document's paths in XO's order ("a.b" nests).
  void finish(const std::vector<std::string>& layout) {
    if (ndjson_) return;
    Doc out(rapidjson::kObjectType);
    for (const std::string& path : layout) {
      auto it = parts_.find(path);
      if (it == parts_.end()) continue;
      Value* node = &out;
      size_t start = 0;
      for (;;) {
        const size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        auto m = node->FindMember(key.c_str());
        if (dot == std::string::npos) {
          node->AddMember(Value(key.c_str(), out.GetAllocator()), Value(it->second, out.GetAllocator()),
                          out.GetAllocator());
          break;
        }
        if (m == node->MemberEnd()) {
          node->AddMember(Value(key.c_str(), out.GetAllocator()), obj(), out.GetAllocator());
          m = node->MemberEnd() - 1;
        }
        node = &m->value;
        start = dot + 1;
      }
    }
    send_json_with_etag(ctx_, js_json(out));
  }

 private:
  Context& ctx_;
  bool ndjson_;
  Doc doc_;
  std::map<std::string, Value> parts_;
};

bool wants_ndjson(const Context& ctx) {
  auto v = ctx.req.query_value("ndjson");
  return v && !(v->size() == 5 && strncasecmp(v->data(), "false", 5) == 0);
}

struct VmCounts {
  int64_t running = 0, halted = 0, paused = 0, suspended = 0, unknown = 0, total = 0;
};

Result<VmCounts> vm_counts(Context& ctx, std::string_view pool_id) {
  VmCounts c;
  const bool scoped = !scope_pool_filter(ctx).empty();
  cache::ScanCursor cursor;
  std::string scratch;
  while (!cursor.done) {
    XR_RETURN_IF_ERROR(ctx.svc.cache->reader().scan("vms", cursor, scratch, SIZE_MAX,
                                                    [&](const cache::ObjectView& v, std::string&) {
      if (!pool_id.empty() && !view_str_is(v, "$pool", pool_id)) return false;
      if (!in_scope(ctx, scoped, v)) return false;
      cache::ObjectView ps;
      const std::string_view p = v.find("power_state", &ps) && ps.kind() == JsonKind::kString ? ps.string() : "";
      ++c.total;
      if (p == "Running") ++c.running;
      else if (p == "Halted") ++c.halted;
      else if (p == "Paused") ++c.paused;
      else if (p == "Suspended") ++c.suspended;
      else ++c.unknown;
      return false;
    }));
  }
  return c;
}

// XO's getHostsStatus: Running hosts are running or disabled, Halted halted, the rest unknown.
Value hosts_status(const std::vector<Doc>& hosts, bool with_unknown, Alloc& a) {
  int64_t running = 0, disabled = 0, halted = 0, unknown = 0;
  for (const auto& h : hosts) {
    const std::string_view p = str(h, "power_state");
    if (p == "Running") {
      const Value* e = member(h, "enabled");
      (e != nullptr && e->IsBool() && !e->GetBool() ? disabled : running)++;
    } else if (p == "Halted") {
      ++halted;
    } else {
      ++unknown;
    }
  }
  Value v = obj();
  if (with_unknown) {
    v.AddMember("disabled", n(disabled), a);
    v.AddMember("running", n(running), a);
    v.AddMember("halted", n(halted), a);
    v.AddMember("unknown", n(unknown), a);
  } else {
    v.AddMember("running", n(running), a);
    v.AddMember("disabled", n(disabled), a);
    v.AddMember("halted", n(halted), a);
  }
  v.AddMember("total", n(static_cast<int64_t>(hosts.size())), a);
  return v;
}

// The last (newest) value of a series, null → `fallback`.
double last_of(const Value* series, double fallback) {
  if (series == nullptr || !series->IsArray() || series->Empty()) return fallback;
  const Value& last = (*series)[series->Size() - 1];
  return last.IsNumber() ? last.GetDouble() : fallback;
}

// XO: the mean of the newest value of each CPU (0/0 when none: NaN, written null).
double cpu_percent(const Value& stats) {
  const Value* cpus = member(stats, "cpus");
  if (cpus == nullptr || !cpus->IsObject() || cpus->MemberCount() == 0) return std::nan("");
  double total = 0;
  for (const auto& m : cpus->GetObject()) total += last_of(&m.value, 0);
  return total / cpus->MemberCount();
}

// getTopPerProperty: descending by `prop`, NaN last, at most 5.
void top_five(std::vector<Value>& items, const char* prop, Value* out, Alloc& a) {
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const double px = num(x, prop, std::nan("")), py = num(y, prop, std::nan(""));
    if (std::isnan(px)) return false;
    if (std::isnan(py)) return true;
    return px > py;
  });
  out->SetArray();
  for (size_t i = 0; i < items.size() && i < 5; ++i) out->PushBack(std::move(items[i]), a);
}

Value number_or_null(double d) { return std::isfinite(d) ? Value(d) : Value(); }

}  // namespace

Status get_dashboard(Context& ctx) {
  XR_RETURN_IF_ERROR(check_pools_ready(ctx));
  const cache::Reader& reader = ctx.svc.cache->reader();
  Parts parts(ctx, wants_ndjson(ctx));
  Alloc& a = parts.alloc();
  XR_ASSIGN_OR_RETURN(std::vector<Doc> pools, objects(ctx, "pools", [](const auto&) { return true; }));
  XR_ASSIGN_OR_RETURN(std::vector<Doc> hosts, objects(ctx, "hosts", [](const auto&) { return true; }));
  XR_ASSIGN_OR_RETURN(std::vector<Doc> srs, objects(ctx, "srs", [](const auto&) { return true; }));
  const bool scoped = !scope_pool_filter(ctx).empty();  // a pool-scoped token: its pools only
  parts.set("nPools", n(static_cast<int64_t>(scoped ? pools.size() : reader.count("pools"))));
  parts.set("nHosts", n(static_cast<int64_t>(scoped ? hosts.size() : reader.count("hosts"))));
  parts.set("hostsStatus", hosts_status(hosts, true, a));
  {
    std::vector<const Doc*> writable;
    for (const auto& sr : srs) {
      if (sr_writable(sr)) writable.push_back(&sr);
    }
    if (pools.empty() && hosts.empty() && writable.empty()) {
      parts.set("resourcesOverview", is_empty(a));
    } else {
      double cpus = 0, memory = 0, size = 0;
      for (const auto& p : pools) {
        if (const Value* c = member(p, "cpus")) cpus += num(*c, "cores");
      }
      for (const auto& h : hosts) {
        if (const Value* m = member(h, "memory")) memory += num(*m, "size");
      }
      for (const Doc* sr : writable) size += num(*sr, "size");
      Value v = obj();
      v.AddMember("nCpus", n(cpus), a);
      v.AddMember("memorySize", n(memory), a);
      v.AddMember("srSize", n(size), a);
      parts.set("resourcesOverview", std::move(v));
    }
    XR_ASSIGN_OR_RETURN(VmCounts c, vm_counts(ctx, ""));
    Value vms = obj();
    vms.AddMember("active", n(c.running + c.paused), a);
    vms.AddMember("inactive", n(c.halted + c.suspended), a);
    vms.AddMember("running", n(c.running), a);
    vms.AddMember("halted", n(c.halted), a);
    vms.AddMember("paused", n(c.paused), a);
    vms.AddMember("suspended", n(c.suspended), a);
    vms.AddMember("unknown", n(c.unknown), a);
    vms.AddMember("total", n(c.total), a);
    parts.set("vmsStatus", std::move(vms));
    if (writable.empty()) {
      parts.set("storageRepositories", is_empty(a));
    } else {
      // Replicated = space used by disks of replica VMs (XO's backup replicas); this gateway
      // makes none, but a pool may hold some made by XO.
      std::set<std::string> replica_vms;
      XR_ASSIGN_OR_RETURN(std::vector<Doc> replicas, objects(ctx, "vms", [](const cache::ObjectView& v) {
        cache::ObjectView other, job, blocked, start;
        return v.find("other", &other) && other.find("xo:backup:job", &job) && v.find("blockedOperations", &blocked) &&
               blocked.find("start", &start);
      }));
      double replicated = 0;
      if (!replicas.empty()) {
        for (const auto& vm : replicas) replica_vms.insert(std::string(str(vm, "id")));
        XR_ASSIGN_OR_RETURN(std::vector<Doc> vbds, objects(ctx, "vbds", [](const auto&) { return true; }));
        std::set<std::string> replica_vdis;
        for (const auto& vbd : vbds) {
          if (replica_vms.count(std::string(str(vbd, "VM")))) replica_vdis.insert(std::string(str(vbd, "VDI")));
        }
        for (const char* coll : {"vdis", "vdi-snapshots"}) {
          XR_ASSIGN_OR_RETURN(std::vector<Doc> vdis, objects(ctx, coll, [](const auto&) { return true; }));
          for (const auto& vdi : vdis) {
            if (replica_vdis.count(std::string(str(vdi, "id")))) replicated += num(vdi, "usage");
          }
        }
      }
      double total = 0, used = 0;
      for (const Doc* sr : writable) {
        total += num(*sr, "size");
        used += num(*sr, "physical_usage");
      }
      Value size = obj();
      size.AddMember("available", n(total - used), a);
      size.AddMember("other", n(used - replicated), a);
      size.AddMember("replicated", n(replicated), a);
      size.AddMember("total", n(total), a);
      size.AddMember("used", n(used), a);
      Value v = obj();
      v.AddMember("size", std::move(size), a);
      parts.set("storageRepositories", std::move(v));
    }
  }
  {
    std::set<std::string> pool_ids;
    for (const auto& p : pools) pool_ids.insert(std::string(str(p, "id")));
    int64_t connected = 0, disconnected = 0, unreachable = 0, unknown = 0, total = 0;
    for (const auto& pool : ctx.svc.config.pools) {
      const cache::PoolStatus* st = nullptr;
      const auto statuses = reader.pool_statuses();
      for (const auto& x : statuses) {
        if (x.key == pool.name) st = &x;
      }
      if (!scope_allows_pool(ctx, st != nullptr ? std::string_view(st->pool_id) : std::string_view())) continue;
      ++total;
      if (st != nullptr && st->state == cache::layout::PoolState::kConnected && pool_ids.count(st->pool_id)) {
        ++connected;
      } else if (st != nullptr && st->state == cache::layout::PoolState::kDisconnected) {
        (st->last_error.empty() ? disconnected : unreachable)++;
      } else {
        ++unknown;
      }
    }
    Value v = obj();
    v.AddMember("connected", n(connected), a);
    v.AddMember("disconnected", n(disconnected), a);
    v.AddMember("unreachable", n(unreachable), a);
    v.AddMember("unknown", n(unknown), a);
    v.AddMember("total", n(total), a);
    parts.set("poolsStatus", std::move(v));
  }
  {
    int64_t failed = 0, with = 0;
    std::set<std::string> pools_with;
    for (const auto& p : pools) {
      auto hs = pool_hosts(ctx, str(p, "id"), false);
      if (!hs.is_ok()) {
        continue;
      }
      for (const PoolHost& h : *hs) {
        auto patches = host_missing_patches(ctx, h);
        if (!patches.is_ok()) {
          ++failed;
        } else if (!(*patches)->Empty()) {
          ++with;
          pools_with.insert(std::string(str(p, "id")));
        }
      }
    }
    Value v = obj();
    v.AddMember("hasAuthorization", true, a);
    v.AddMember("nHosts", n(static_cast<int64_t>(hosts.size())), a);
    v.AddMember("nHostsFailed", n(failed), a);
    v.AddMember("nHostsWithMissingPatches", n(with), a);
    v.AddMember("nHostsEol", is_empty(a), a);  // XOA's supported-versions list is not in XO's sources
    v.AddMember("nPools", n(static_cast<int64_t>(pools.size())), a);
    v.AddMember("nPoolsWithMissingPatches", n(static_cast<int64_t>(pools_with.size())), a);
    parts.set("missingPatches", std::move(v));
  }
  parts.set("backupRepositories", is_empty(a));  // no backup repository: XO's answer
  parts.set("backups", is_empty(a));             // no backup job: XO's answer
  parts.finish({"nPools", "nHosts", "backupRepositories", "resourcesOverview", "poolsStatus", "missingPatches",
                "storageRepositories", "backups", "hostsStatus", "vmsStatus"});
  if (wants_ndjson(ctx)) ctx.res.finish();
  return Status::ok();
}

Status get_pool_dashboard(Context& ctx) {
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, "pools", ctx.params[0], &json));
  Doc pool;
  pool.Parse(json.data(), json.size());
  const std::string pool_id(str(pool, "id"));
  Parts parts(ctx, wants_ndjson(ctx));
  Alloc& a = parts.alloc();
  auto in_pool = [&](const cache::ObjectView& v) { return view_str_is(v, "$pool", pool_id); };
  XR_ASSIGN_OR_RETURN(std::vector<Doc> hosts, objects(ctx, "hosts", in_pool));
  parts.set("hosts.status", hosts_status(hosts, false, a));
  XR_ASSIGN_OR_RETURN(VmCounts c, vm_counts(ctx, pool_id));
  {
    Value v = obj();
    v.AddMember("running", n(c.running), a);
    v.AddMember("halted", n(c.halted), a);
    v.AddMember("paused", n(c.paused), a);
    v.AddMember("total", n(c.total), a);
    v.AddMember("suspended", n(c.suspended), a);
    parts.set("vms.status", std::move(v));
  }
  {
    XR_ASSIGN_OR_RETURN(std::vector<Doc> alarms, objects(ctx, "alarms", in_pool));
    Value ids(rapidjson::kArrayType);
    for (const auto& al : alarms) ids.PushBack(s(str(al, "id"), a), a);
    parts.set("alarms", std::move(ids));
  }
  {
    XR_ASSIGN_OR_RETURN(std::vector<Doc> srs, objects(ctx, "srs", in_pool));
    std::vector<Value> items;
    for (const auto& sr : srs) {
      if (!sr_writable(sr) || str(sr, "SR_type") == "udev") continue;
      Value v = obj();
      v.AddMember("name_label", s(str(sr, "name_label"), a), a);
      v.AddMember("id", s(str(sr, "id"), a), a);
      v.AddMember("percent", number_or_null(num(sr, "physical_usage") / num(sr, "size") * 100), a);
      v.AddMember("physical_usage", n(num(sr, "physical_usage")), a);
      v.AddMember("size", n(num(sr, "size")), a);
      items.push_back(std::move(v));
    }
    Value top;
    top_five(items, "percent", &top, a);
    parts.set("srs.topFiveUsage", std::move(top));
  }
  {
    std::vector<Value> items;
    for (const auto& h : hosts) {
      if (str(h, "power_state") != "Running") continue;
      const Value* m = member(h, "memory");
      const double size = m ? num(*m, "size") : 0, usage = m ? num(*m, "usage") : 0;
      Value v = obj();
      v.AddMember("name_label", s(str(h, "name_label"), a), a);
      v.AddMember("id", s(str(h, "id"), a), a);
      v.AddMember("size", n(size), a);
      v.AddMember("usage", n(usage), a);
      v.AddMember("percent", number_or_null(usage / size * 100), a);
      items.push_back(std::move(v));
    }
    Value top;
    top_five(items, "percent", &top, a);
    parts.set("hosts.topFiveUsage.ram", std::move(top));
  }
  XR_ASSIGN_OR_RETURN(std::vector<Doc> running, objects(ctx, "vms", [&](const cache::ObjectView& v) {
    return in_pool(v) && (view_str_is(v, "power_state", "Running") || view_str_is(v, "power_state", "Paused"));
  }));
  {
    double assigned = 0;
    for (const auto& vm : running) {
      if (str(vm, "power_state") != "Running") continue;
      if (const Value* cpus = member(vm, "CPUs")) assigned += num(*cpus, "number");
    }
    const Value* cpus = member(pool, "cpus");
    const double total = cpus ? num(*cpus, "cores") : 0;
    Value v = obj();
    v.AddMember("total", n(total), a);
    v.AddMember("assigned", n(assigned), a);
    v.AddMember("percent", n(total == 0 ? 0.0 : assigned * 100 / total), a);
    parts.set("cpuProvisioning", std::move(v));
  }
  XR_ASSIGN_OR_RETURN(std::vector<PoolHost> pool_members, pool_hosts(ctx, pool_id, false));
  {
    Value patches(rapidjson::kArrayType);
    std::vector<std::string> keys;
    for (const PoolHost& h : pool_members) {
      auto list = host_missing_patches(ctx, h);
      if (!list.is_ok()) continue;
      for (const auto& p : (*list)->GetArray()) {
        std::string key(str(p, "id"));
        if (key.empty()) key = str(p, "name");
        auto it = std::find(keys.begin(), keys.end(), key);
        if (it != keys.end()) {
          patches[static_cast<rapidjson::SizeType>(it - keys.begin())].CopyFrom(p, a);
        } else {
          keys.push_back(key);
          patches.PushBack(Value(p, a), a);
        }
      }
    }
    Value v = obj();
    v.AddMember("hasAuthorization", true, a);
    v.AddMember("missingPatches", std::move(patches), a);
    parts.set("hosts.missingPatches", std::move(v));
  }
  std::map<std::string, const PoolHost*> by_id;
  for (const PoolHost& h : pool_members) by_id[h.id] = &h;
  {
    std::vector<Value> items;
    for (const auto& hdoc : hosts) {
      if (str(hdoc, "power_state") != "Running") continue;
      auto it = by_id.find(std::string(str(hdoc, "id")));
      if (it == by_id.end()) continue;
      Doc stats;
      if (!object_stats(ctx, *it->second, "host", it->first, 5, &stats, stats.GetAllocator()).is_ok()) continue;
      Value v = obj();
      const Value* st = member(stats, "stats");
      v.AddMember("percent", number_or_null(st ? cpu_percent(*st) : std::nan("")), a);
      v.AddMember("id", s(it->first, a), a);
      v.AddMember("name_label", s(str(hdoc, "name_label"), a), a);
      items.push_back(std::move(v));
    }
    Value top;
    top_five(items, "percent", &top, a);
    parts.set("hosts.topFiveUsage.cpu", std::move(top));
  }
  {
    std::vector<Value> ram, cpu;
    for (const auto& vm : running) {
      auto it = by_id.find(std::string(str(vm, "$container")));
      if (it == by_id.end()) continue;
      Doc stats;
      if (!object_stats(ctx, *it->second, "vm", str(vm, "uuid"), 5, &stats, stats.GetAllocator()).is_ok()) continue;
      const Value* st = member(stats, "stats");
      const Value* agent = member(vm, "managementAgentDetected");
      if (st != nullptr && agent != nullptr && agent->IsBool() && agent->GetBool()) {
        const double memory = last_of(member(*st, "memory"), 0);
        const double free = last_of(member(*st, "memoryFree"), 0);
        Value v = obj();
        v.AddMember("id", s(str(vm, "id"), a), a);
        v.AddMember("name_label", s(str(vm, "name_label"), a), a);
        v.AddMember("memory", n(memory), a);
        v.AddMember("memoryFree", n(free), a);
        v.AddMember("percent", number_or_null((memory - free) / memory * 100), a);
        ram.push_back(std::move(v));
      }
      Value v = obj();
      v.AddMember("id", s(str(vm, "id"), a), a);
      v.AddMember("name_label", s(str(vm, "name_label"), a), a);
      v.AddMember("percent", number_or_null(st ? cpu_percent(*st) : std::nan("")), a);
      cpu.push_back(std::move(v));
    }
    Value top_ram, top_cpu;
    top_five(ram, "percent", &top_ram, a);
    top_five(cpu, "percent", &top_cpu, a);
    Value v = obj();
    v.AddMember("ram", std::move(top_ram), a);
    v.AddMember("cpu", std::move(top_cpu), a);
    parts.set("vms.topFiveUsage", std::move(v));
  }
  parts.finish({"hosts.status", "hosts.topFiveUsage.ram", "hosts.topFiveUsage.cpu", "hosts.missingPatches",
                "vms.status", "vms.topFiveUsage", "srs.topFiveUsage", "alarms", "cpuProvisioning"});
  if (wants_ndjson(ctx)) ctx.res.finish();
  return Status::ok();
}

Status get_vm_dashboard(Context& ctx) {
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, "vms", ctx.params[0], &json));
  Doc vm;
  vm.Parse(json.data(), json.size());
  Parts parts(ctx, wants_ndjson(ctx));
  Alloc& a = parts.alloc();
  {
    Value q = obj();
    auto copy = [&](const char* key) {
      if (const Value* v = member(vm, key)) q.AddMember(Value(key, a), Value(*v, a), a);
    };
    q.AddMember("id", s(ctx.params[0], a), a);
    copy("power_state");
    copy("uuid");
    copy("name_description");
    Value cpus = obj();
    if (const Value* c = member(vm, "CPUs"); c && member(*c, "number")) cpus.AddMember("number", Value(*member(*c, "number"), a), a);
    q.AddMember("CPUs", std::move(cpus), a);
    copy("mainIpAddress");
    Value os = obj();
    if (const Value* o = member(vm, "os_version"); o && member(*o, "name")) os.AddMember("name", Value(*member(*o, "name"), a), a);
    q.AddMember("os_version", std::move(os), a);
    Value mem = obj();
    if (const Value* m = member(vm, "memory"); m && member(*m, "size")) mem.AddMember("size", Value(*member(*m, "size"), a), a);
    q.AddMember("memory", std::move(mem), a);
    Value creation = obj();
    if (const Value* c = member(vm, "creation")) {
      if (const Value* d = member(*c, "date")) creation.AddMember("date", Value(*d, a), a);
      if (const Value* u = member(*c, "user")) creation.AddMember("user", Value(*u, a), a);
    }
    q.AddMember("creation", std::move(creation), a);
    copy("$pool");
    copy("virtualizationMode");
    copy("tags");
    if (str(vm, "$container") != str(vm, "$pool")) {
      if (const Value* c = member(vm, "$container")) q.AddMember("host", Value(*c, a), a);
    }
    const Value* detected = member(vm, "pvDriversDetected");
    q.AddMember("pvDriversDetected", detected ? Value(*detected, a) : Value(false), a);
    copy("pvDriversVersion");
    copy("pvDriversUpToDate");
    copy("startTime");
    parts.set("quickInfo", std::move(q));
  }
  {
    XR_ASSIGN_OR_RETURN(std::vector<Doc> alarms, objects(ctx, "alarms", [&](const cache::ObjectView& v) {
      cache::ObjectView o, u;
      return v.find("object", &o) && o.find("uuid", &u) && u.kind() == JsonKind::kString && u.string() == str(vm, "id");
    }));
    Value ids(rapidjson::kArrayType);
    for (const auto& al : alarms) ids.PushBack(s(str(al, "id"), a), a);
    parts.set("alarms", std::move(ids));
  }
  // No backup job, log, replica or repository here: XO's answers for a VM in none.
  parts.set("backupsInfo.replication", obj());
  {
    Value info = obj();
    info.AddMember("lastRuns", Value(rapidjson::kArrayType), a);
    info.AddMember("vmProtection", "not-in-active-job", a);
    parts.set("backupsInfo", std::move(info));
  }
  parts.set("backupsInfo.backupArchives", Value(rapidjson::kArrayType));
  parts.finish({"quickInfo", "alarms", "backupsInfo", "backupsInfo.replication", "backupsInfo.backupArchives"});
  if (wants_ndjson(ctx)) ctx.res.finish();
  return Status::ok();
}

}  // namespace xr::app

#include "metrics/metrics.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>
#include <string>
#include <vector>

#include "cache/reader.h"
#include "config/config.h"
#include "routes/route_table.h"

namespace xr::app::metrics {
namespace {

constexpr int kMaxRoutes = 512;      // rows of the route table, plus "no route"
constexpr int kStatusSlots = 12;     // distinct statuses per route
constexpr int kMaxErrors = 128;      // distinct XAPI error codes
constexpr int kMaxRoles = 16;
constexpr int kMaxPools = 64;
constexpr int kNameBytes = 56;
// Latency buckets (seconds): Prometheus' defaults, finer at the low end.
constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr int kBuckets = sizeof(kBounds) / sizeof(kBounds[0]);

struct StatusSlot {
  std::atomic<uint32_t> code;  // 0 = free
  std::atomic<uint64_t> count;
};

struct RouteCounters {
  StatusSlot statuses[kStatusSlots];
  std::atomic<uint64_t> buckets[kBuckets];  // not cumulative; summed when rendered
  std::atomic<uint64_t> count;
  std::atomic<uint64_t> sum_ns;
};

// A named counter; `state` 0 free, 1 being named, 2 named (name immutable from then on).
struct NamedCounter {
  std::atomic<uint32_t> state;
  char name[kNameBytes];
  std::atomic<uint64_t> count;
};

struct PoolCounters {
  std::atomic<uint64_t> batches;
  std::atomic<uint64_t> resyncs;
  std::atomic<uint64_t> last_lag_ns;
};

struct Area {
  RouteCounters routes[kMaxRoutes];  // [0] is "no route", [i + 1] is routes()[i]
  NamedCounter xapi_errors[kMaxErrors];
  NamedCounter restarts[kMaxRoles];
  PoolCounters pools[kMaxPools];
  std::atomic<int64_t> open_streams;
  std::atomic<uint64_t> dropped;  // samples with no free slot (too many statuses or names)
};

Area* g_area = nullptr;

NamedCounter* named(NamedCounter* table, int size, std::string_view name) {
  if (name.size() >= kNameBytes) name = name.substr(0, kNameBytes - 1);
  for (int i = 0; i < size; ++i) {
    NamedCounter& c = table[i];
    uint32_t st = c.state.load(std::memory_order_acquire);
    if (st == 0) {
      uint32_t expected = 0;
      if (c.state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        std::memcpy(c.name, name.data(), name.size());
        c.name[name.size()] = '\0';
        c.state.store(2, std::memory_order_release);
        return &c;
      }
      st = expected;
    }
    // A few stores away; a process killed right there leaves the slot unusable, not a hang.
    for (int spin = 0; st == 1 && spin < 100000; ++spin) st = c.state.load(std::memory_order_acquire);
    if (st == 2 && name == std::string_view(c.name)) return &c;
  }
  return nullptr;
}

// Label values as the text format wants them: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string route_label(int index) {
  if (index == 0) return "none";
  const Route& r = routes()[index - 1];
  return std::string(r.method) + " /" + std::string(r.pattern);
}

const char* state_name(cache::layout::PoolState s) {
  switch (s) {
    case cache::layout::PoolState::kConnecting: return "connecting";
    case cache::layout::PoolState::kConnected: return "connected";
    case cache::layout::PoolState::kDisconnected: return "disconnected";
    default: return "unused";
  }
}

}  // namespace

void init() {
  if (g_area != nullptr) return;
  void* p = mmap(nullptr, sizeof(Area), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // metrics stay empty; serving goes on
  g_area = new (p) Area();      // mmap gives zeroed pages: every counter starts at 0
}

bool enabled() { return g_area != nullptr; }

void record_request(int route, int status, std::chrono::nanoseconds elapsed) {
  if (g_area == nullptr) return;
  const int index = route < 0 || route + 1 >= kMaxRoutes ? 0 : route + 1;
  RouteCounters& rc = g_area->routes[index];
  const auto code = static_cast<uint32_t>(status);
  bool counted = false;
  for (StatusSlot& s : rc.statuses) {
    uint32_t cur = s.code.load(std::memory_order_acquire);
    if (cur == 0) {
      uint32_t expected = 0;
      if (s.code.compare_exchange_strong(expected, code, std::memory_order_acq_rel)) cur = code;
      else cur = expected;
    }
    if (cur == code) {
      s.count.fetch_add(1, std::memory_order_relaxed);
      counted = true;
      break;
    }
  }
  if (!counted) g_area->dropped.fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  int b = 0;
  while (b < kBuckets && seconds > kBounds[b]) ++b;
  if (b < kBuckets) rc.buckets[b].fetch_add(1, std::memory_order_relaxed);
  rc.count.fetch_add(1, std::memory_order_relaxed);
  rc.sum_ns.fetch_add(static_cast<uint64_t>(elapsed.count() > 0 ? elapsed.count() : 0),
                      std::memory_order_relaxed);
}

void record_xapi_error(std::string_view code) {
  if (g_area == nullptr) return;
  if (NamedCounter* c = named(g_area->xapi_errors, kMaxErrors, code)) c->count.fetch_add(1, std::memory_order_relaxed);
  else g_area->dropped.fetch_add(1, std::memory_order_relaxed);
}

void record_restart(std::string_view role) {
  if (g_area == nullptr) return;
  if (NamedCounter* c = named(g_area->restarts, kMaxRoles, role)) c->count.fetch_add(1, std::memory_order_relaxed);
}

void record_event_batch(int pool, bool full_resync, std::chrono::nanoseconds lag) {
  if (g_area == nullptr || pool < 0 || pool >= kMaxPools) return;
  PoolCounters& p = g_area->pools[pool];
  p.batches.fetch_add(1, std::memory_order_relaxed);
  if (full_resync) p.resyncs.fetch_add(1, std::memory_order_relaxed);
  p.last_lag_ns.store(static_cast<uint64_t>(lag.count() > 0 ? lag.count() : 0), std::memory_order_relaxed);
}

void set_open_streams(int64_t n) {
  if (g_area != nullptr) g_area->open_streams.store(n, std::memory_order_relaxed);
}

std::string render(const config::Config& config, const cache::Reader* reader) {
  std::string out;
  out.reserve(64 * 1024);
  const Area* a = g_area;

  header(out, "xapi_rest_http_requests_total", "counter",
         "Requests answered by the workers, by route (method and pattern of the route table) and HTTP status.");
  if (a != nullptr) {
    for (int i = 0; i < kMaxRoutes; ++i) {
      for (const StatusSlot& s : a->routes[i].statuses) {
        const uint32_t code = s.code.load(std::memory_order_acquire);
        if (code == 0) break;
        out += "xapi_rest_http_requests_total{route=\"" + label(route_label(i)) + "\",status=\"" +
               std::to_string(code) + "\"} " + std::to_string(s.count.load(std::memory_order_relaxed)) + "\n";
      }
    }
  }
  header(out, "xapi_rest_http_request_duration_seconds", "histogram",
         "Time from a request's arrival at a worker to its last byte, by route.");
  if (a != nullptr) {
    for (int i = 0; i < kMaxRoutes; ++i) {
      const RouteCounters& rc = a->routes[i];
      const uint64_t count = rc.count.load(std::memory_order_relaxed);
      if (count == 0) continue;
      const std::string r = "route=\"" + label(route_label(i)) + "\"";
      uint64_t cumulative = 0;
      for (int b = 0; b < kBuckets; ++b) {
        cumulative += rc.buckets[b].load(std::memory_order_relaxed);
        out += "xapi_rest_http_request_duration_seconds_bucket{" + r + ",le=\"" + number(kBounds[b]) + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      // +Inf is the count: read after the buckets, so it is never below the last bucket.
      out += "xapi_rest_http_request_duration_seconds_bucket{" + r + ",le=\"+Inf\"} " +
             std::to_string(std::max(count, cumulative)) + "\n";
      out += "xapi_rest_http_request_duration_seconds_sum{" + r + "} " +
             number(static_cast<double>(rc.sum_ns.load(std::memory_order_relaxed)) / 1e9) + "\n";
      out += "xapi_rest_http_request_duration_seconds_count{" + r + "} " + std::to_string(std::max(count, cumulative)) +
             "\n";
    }
  }

  if (reader != nullptr) {
    header(out, "xapi_rest_cache_objects", "gauge", "Objects in the shared cache, by collection.");
    for (const std::string& c : reader->collections()) {
      out += "xapi_rest_cache_objects{collection=\"" + label(c) + "\"} " + std::to_string(reader->count(c)) + "\n";
    }
    const cache::CacheStats st = reader->stats();
    header(out, "xapi_rest_cache_bytes", "gauge",
           "Bytes of the cache's active half: used (live records, garbage and tables), free, live records.");
    out += "xapi_rest_cache_bytes{state=\"used\"} " + std::to_string(st.used_bytes) + "\n";
    out += "xapi_rest_cache_bytes{state=\"free\"} " +
           std::to_string(st.half_bytes > st.used_bytes ? st.half_bytes - st.used_bytes : 0) + "\n";
    out += "xapi_rest_cache_bytes{state=\"live\"} " + std::to_string(st.live_bytes) + "\n";
    header(out, "xapi_rest_cache_capacity_bytes", "gauge", "Bytes one half of the cache can hold (cache.size_mb).");
    out += "xapi_rest_cache_capacity_bytes " + std::to_string(st.half_bytes) + "\n";
    header(out, "xapi_rest_cache_compactions_total", "counter", "Compactions of the cache.");
    out += "xapi_rest_cache_compactions_total " + std::to_string(st.compactions) + "\n";
    header(out, "xapi_rest_cache_full_errors_total", "counter", "Objects not stored because the cache was full.");
    out += "xapi_rest_cache_full_errors_total " + std::to_string(st.full_errors) + "\n";

    const int64_t now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
    const std::vector<cache::PoolStatus> pools = reader->pool_statuses();
    header(out, "xapi_rest_pool_connected", "gauge", "1 when the pool's event connection is up, else 0.");
    for (const cache::PoolStatus& p : pools) {
      out += "xapi_rest_pool_connected{pool=\"" + label(p.key) + "\"} " +
             (p.state == cache::layout::PoolState::kConnected ? "1" : "0") + "\n";
    }
    header(out, "xapi_rest_pool_state", "gauge", "The pool connection's state (1 for the current one).");
    for (const cache::PoolStatus& p : pools) {
      for (auto s : {cache::layout::PoolState::kConnecting, cache::layout::PoolState::kConnected,
                     cache::layout::PoolState::kDisconnected}) {
        out += "xapi_rest_pool_state{pool=\"" + label(p.key) + "\",state=\"" + state_name(s) + "\"} " +
               (p.state == s ? "1" : "0") + "\n";
      }
    }
    header(out, "xapi_rest_pool_last_event_age_seconds", "gauge",
           "Seconds since the pool's last event batch (or full sync) reached the cache.");
    for (const cache::PoolStatus& p : pools) {
      if (p.last_sync_ms <= 0) continue;
      out += "xapi_rest_pool_last_event_age_seconds{pool=\"" + label(p.key) + "\"} " +
             number(std::max<int64_t>(0, now_ms - p.last_sync_ms) / 1000.0) + "\n";
    }
  }

  if (a != nullptr) {
    header(out, "xapi_rest_pool_resyncs_total", "counter",
           "Full resynchronisations of a pool (the first sync, and each one after a lost connection).");
    for (size_t i = 0; i < config.pools.size() && i < kMaxPools; ++i) {
      out += "xapi_rest_pool_resyncs_total{pool=\"" + label(config.pools[i].name) + "\"} " +
             std::to_string(a->pools[i].resyncs.load(std::memory_order_relaxed)) + "\n";
    }
    header(out, "xapi_rest_pool_event_batches_total", "counter", "Event batches (event.from answers) applied to the cache.");
    for (size_t i = 0; i < config.pools.size() && i < kMaxPools; ++i) {
      out += "xapi_rest_pool_event_batches_total{pool=\"" + label(config.pools[i].name) + "\"} " +
             std::to_string(a->pools[i].batches.load(std::memory_order_relaxed)) + "\n";
    }
    header(out, "xapi_rest_pool_event_lag_seconds", "gauge",
           "For the last event batch: time from event.from's answer to the batch being visible in the cache.");
    for (size_t i = 0; i < config.pools.size() && i < kMaxPools; ++i) {
      if (a->pools[i].batches.load(std::memory_order_relaxed) == 0) continue;
      out += "xapi_rest_pool_event_lag_seconds{pool=\"" + label(config.pools[i].name) + "\"} " +
             number(static_cast<double>(a->pools[i].last_lag_ns.load(std::memory_order_relaxed)) / 1e9) + "\n";
    }
    header(out, "xapi_rest_child_restarts_total", "counter", "Children the master restarted after they died, by role.");
    for (const NamedCounter& c : a->restarts) {
      if (c.state.load(std::memory_order_acquire) != 2) continue;
      out += "xapi_rest_child_restarts_total{role=\"" + label(c.name) + "\"} " +
             std::to_string(c.count.load(std::memory_order_relaxed)) + "\n";
    }
    header(out, "xapi_rest_open_streams", "gauge", "Streams (watch) the stream role holds open.");
    out += "xapi_rest_open_streams " + std::to_string(a->open_streams.load(std::memory_order_relaxed)) + "\n";
    header(out, "xapi_rest_xapi_errors_total", "counter",
           "Failed XAPI calls, by XAPI error code (or the kind of failure: transport, timeout, ...).");
    for (const NamedCounter& c : a->xapi_errors) {
      if (c.state.load(std::memory_order_acquire) != 2) continue;
      out += "xapi_rest_xapi_errors_total{code=\"" + label(c.name) + "\"} " +
             std::to_string(c.count.load(std::memory_order_relaxed)) + "\n";
    }
    header(out, "xapi_rest_metrics_dropped_total", "counter",
           "Samples not counted because a table was full (too many distinct statuses or names).");
    out += "xapi_rest_metrics_dropped_total " + std::to_string(a->dropped.load(std::memory_order_relaxed)) + "\n";
  }
  return out;
}

}  // namespace xr::app::metrics

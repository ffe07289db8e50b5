#include "xo/rrd_stats.h"

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <vector>

namespace xr::xo {

namespace {

using Alloc = rapidjson::Document::AllocatorType;

enum class Transform { kNone, kKib, kPercent, kMib, kMicro };

// One row of xo-server's STATS table: a test on the metric name (exact, suffix or regex
// with one capture) and the path of the series in "stats".
struct Rule {
  const char* exact;       // exact name, or nullptr
  const char* suffix;      // endsWith, or nullptr
  const char* pattern;     // regex with one capture, or nullptr
  const char* path[3];     // keys; "$1" is the capture
  Transform transform;
};

// In xo-server's order (the first rule that matches wins).
const Rule kHostRules[] = {
    {"loadavg", nullptr, nullptr, {"load"}, Transform::kNone},
    {"memory_free_kib", nullptr, nullptr, {"memoryFree"}, Transform::kKib},
    {"memory_total_kib", nullptr, nullptr, {"memory"}, Transform::kKib},
    {nullptr, nullptr, "^cpu(\\d+)$", {"cpus", "$1"}, Transform::kPercent},
    {nullptr, nullptr, "^pif_eth(\\d+)_rx$", {"pifs", "rx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^pif_eth(\\d+)_tx$", {"pifs", "tx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^iops_read_(\\w+)$", {"iops", "r", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^iops_write_(\\w+)$", {"iops", "w", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^iops_total_(\\w+)$", {"iops", "total", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^io_throughput_read_(\\w+)$", {"ioThroughput", "r", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^io_throughput_write_(\\w+)$", {"ioThroughput", "w", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^io_throughput_total_(\\w+)$", {"ioThroughput", "total", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^read_latency_(\\w+)$", {"latency", "r", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^write_latency_(\\w+)$", {"latency", "w", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^latency_(\\w+)$", {"latency", "total", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^iowait_(\\w+)$", {"iowait", "$1"}, Transform::kNone},
    {"hostload", nullptr, nullptr, {"hostload"}, Transform::kNone},
    {"memory_reclaimed", nullptr, nullptr, {"memoryReclaimed"}, Transform::kKib},
    {"memory_reclaimed_max", nullptr, nullptr, {"memoryReclaimedMax"}, Transform::kKib},
    {"running_vcpus", nullptr, nullptr, {"runningVcpus"}, Transform::kNone},
    {"pif_aggr_rx", nullptr, nullptr, {"pifsAggr", "rx"}, Transform::kNone},
    {"pif_aggr_tx", nullptr, nullptr, {"pifsAggr", "tx"}, Transform::kNone},
};

const Rule kVmRules[] = {
    {"memory_internal_free", nullptr, nullptr, {"memoryFree"}, Transform::kKib},
    {nullptr, "memory", nullptr, {"memory"}, Transform::kNone},
    {"memory_target", nullptr, nullptr, {"memoryTarget"}, Transform::kNone},
    {nullptr, nullptr, "^cpu(\\d+)$", {"cpus", "$1"}, Transform::kPercent},
    {"cpu_usage", nullptr, nullptr, {"cpuUsage"}, Transform::kPercent},
    {"runstate_fullrun", nullptr, nullptr, {"runstateFullrun"}, Transform::kPercent},
    {"runstate_full_contention", nullptr, nullptr, {"runstateFullContention"}, Transform::kPercent},
    {"runstate_partial_run", nullptr, nullptr, {"runstatePartialRun"}, Transform::kPercent},
    {"runstate_partial_contention", nullptr, nullptr, {"runstatePartialContention"}, Transform::kPercent},
    {"runstate_concurrency_hazard", nullptr, nullptr, {"runstateConcurrencyHazard"}, Transform::kPercent},
    {"runstate_blocked", nullptr, nullptr, {"runstateBlocked"}, Transform::kPercent},
    {nullptr, nullptr, "^vif_(\\d+)_rx$", {"vifs", "rx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vif_(\\d+)_tx$", {"vifs", "tx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vif_(\\d+)_rx_errors$", {"vifErrors", "rx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vif_(\\d+)_tx_errors$", {"vifErrors", "tx", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_read$", {"xvds", "r", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_write$", {"xvds", "w", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_iops_read$", {"iops", "r", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_iops_write$", {"iops", "w", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_iops_total$", {"iops", "total", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_read_latency$", {"vbdLatency", "r", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^vbd_xvd(.)_write_latency$", {"vbdLatency", "w", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^vbd_xvd(.)_io_throughput_read$", {"ioThroughput", "r", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^vbd_xvd(.)_io_throughput_write$", {"ioThroughput", "w", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^vbd_xvd(.)_io_throughput_total$", {"ioThroughput", "total", "$1"}, Transform::kMib},
    {nullptr, nullptr, "^vbd_xvd(.)_latency$", {"vbdAvgLatency", "$1"}, Transform::kMicro},
    {nullptr, nullptr, "^vbd_xvd(.)_iowait$", {"vbdIowait", "$1"}, Transform::kPercent},
    {nullptr, nullptr, "^vbd_xvd(.)_inflight$", {"vbdInflight", "$1"}, Transform::kNone},
    {nullptr, nullptr, "^vbd_xvd(.)_avgqu_sz$", {"vbdAvgquSz", "$1"}, Transform::kNone},
};

// The compiled regexes of a rule table (built once).
template <size_t N>
const std::vector<std::optional<std::regex>>& compiled(const Rule (&rules)[N]) {
  static const std::vector<std::optional<std::regex>> out = [&] {
    std::vector<std::optional<std::regex>> v;
    for (const Rule& r : rules) {
      if (r.pattern != nullptr) {
        v.emplace_back(std::regex(r.pattern, std::regex::ECMAScript | std::regex::optimize));
      } else {
        v.emplace_back();
      }
    }
    return v;
  }();
  return out;
}

template <size_t N>
const Rule* find_rule(const Rule (&rules)[N], std::string_view metric, std::string* capture) {
  const auto& regexes = compiled(rules);
  for (size_t i = 0; i < N; ++i) {
    const Rule& r = rules[i];
    if (r.exact != nullptr) {
      if (metric == r.exact) return &r;
    } else if (r.suffix != nullptr) {
      std::string_view suffix = r.suffix;
      if (metric.size() >= suffix.size() && metric.substr(metric.size() - suffix.size()) == suffix) return &r;
    } else {
      std::match_results<std::string_view::const_iterator> m;
      if (std::regex_match(metric.begin(), metric.end(), m, *regexes[i])) {
        *capture = m[1].str();
        return &r;
      }
    }
  }
  return nullptr;
}

// parseNumber of xapi-stats.mjs: a number, or a string holding one ("NaN" included).
std::optional<double> number_of(const rapidjson::Value& v) {
  if (v.IsNumber()) return v.GetDouble();
  if (!v.IsString()) return std::nullopt;
  std::string s(v.GetString(), v.GetStringLength());
  if (s == "NaN") return std::nan("");
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) return std::nullopt;
  return d;
}

double apply(Transform t, double v) {
  switch (t) {
    case Transform::kKib: return v * 1024;
    case Transform::kPercent: return v * 1e2;
    case Transform::kMib: return v * 1048576.0;
    case Transform::kMicro: return v / 1e3;
    case Transform::kNone: break;
  }
  return v;
}

rapidjson::Value key_of(std::string_view k, Alloc& a) {
  return rapidjson::Value(k.data(), static_cast<rapidjson::SizeType>(k.size()), a);
}

// The member `k` of object `o`, created empty ({}) when absent (XO: `obj[k] = obj[k] ?? {}`).
rapidjson::Value& child(rapidjson::Value& o, std::string_view k, Alloc& a) {
  auto it = o.FindMember(rapidjson::StringRef(k.data(), k.size()));
  if (it != o.MemberEnd()) {
    if (!it->value.IsObject()) it->value.SetObject();
    return it->value;
  }
  o.AddMember(key_of(k, a), rapidjson::Value(rapidjson::kObjectType), a);
  return (o.MemberEnd() - 1)->value;
}

void set_member(rapidjson::Value& o, std::string_view k, rapidjson::Value v, Alloc& a) {
  auto it = o.FindMember(rapidjson::StringRef(k.data(), k.size()));
  if (it != o.MemberEnd()) {
    it->value = std::move(v);
  } else {
    o.AddMember(key_of(k, a), std::move(v), a);
  }
}

}  // namespace

std::optional<int64_t> stats_step(std::string_view g) {
  if (g == "seconds") return 5;
  if (g == "minutes") return 60;
  if (g == "hours") return 3600;
  if (g == "days") return 86400;
  return std::nullopt;
}

int64_t stats_points(int64_t step) {
  switch (step) {
    case 5:
    case 60: return 120;
    case 3600: return 168;
    default: return 366;
  }
}

std::optional<int64_t> parse_xapi_datetime(std::string_view t) {
  std::string digits;
  for (char c : t) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '.' || c == 'Z' || c == '+') {
      break;  // fraction or zone: XAPI answers UTC
    }
  }
  if (digits.size() < 14) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(digits.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(digits.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(digits.substr(6, 2));
  tm.tm_hour = std::stoi(digits.substr(8, 2));
  tm.tm_min = std::stoi(digits.substr(10, 2));
  tm.tm_sec = std::stoi(digits.substr(12, 2));
  return static_cast<int64_t>(timegm(&tm));
}

Status rrd_stats(const rapidjson::Value& rrd, std::string_view type, std::string_view uuid, int64_t step,
                 int64_t server_time, rapidjson::Value* out, Alloc& a) {
  const auto bad = [](const char* what) {
    return Status(ErrorKind::kProtocol, std::string("rrd_updates: ") + what);
  };
  if (!rrd.IsObject() || !rrd.HasMember("meta") || !rrd["meta"].IsObject()) return bad("no meta");
  const rapidjson::Value& meta = rrd["meta"];
  if (!meta.HasMember("step") || !meta.HasMember("legend") || !meta["legend"].IsArray()) return bad("bad meta");
  const std::optional<double> actual = number_of(meta["step"]);
  if (!actual || *actual != static_cast<double>(step)) {
    return Status(ErrorKind::kProtocol, "Unable to get the true granularity: " +
                                            (actual ? std::to_string(static_cast<int64_t>(*actual)) : "?"));
  }
  const std::optional<double> end = meta.HasMember("end") ? number_of(meta["end"]) : std::nullopt;
  const rapidjson::Value* data = rrd.HasMember("data") && rrd["data"].IsArray() ? &rrd["data"] : nullptr;

  out->SetObject();
  rapidjson::Value stats(rapidjson::kObjectType);
  bool found = false;
  const bool host = type == "host";
  if (data != nullptr && !data->Empty()) {
    const rapidjson::Value& legend = meta["legend"];
    for (rapidjson::SizeType index = 0; index < legend.Size(); ++index) {
      if (!legend[index].IsString()) continue;
      std::string_view entry(legend[index].GetString(), legend[index].GetStringLength());
      // ^AVERAGE:([^:]+):(.+):(.+)$ — the uuid part is greedy: the metric is after the last ':'
      if (entry.substr(0, 8) != "AVERAGE:") continue;
      std::string_view rest = entry.substr(8);
      const size_t c1 = rest.find(':');
      const size_t last = rest.rfind(':');
      if (c1 == std::string_view::npos || last == c1 || c1 == 0) continue;
      if (rest.substr(0, c1) != type || rest.substr(c1 + 1, last - c1 - 1) != uuid) continue;
      const std::string_view metric = rest.substr(last + 1);
      if (metric.empty()) continue;
      std::string capture;
      const Rule* rule = host ? find_rule(kHostRules, metric, &capture) : find_rule(kVmRules, metric, &capture);
      if (rule == nullptr) continue;
      found = true;
      rapidjson::Value series(rapidjson::kArrayType);
      for (rapidjson::SizeType r = data->Size(); r-- > 0;) {  // newest first on the wire
        const rapidjson::Value& row = (*data)[r];
        const rapidjson::Value* values = row.IsObject() && row.HasMember("values") ? &row["values"] : nullptr;
        std::optional<double> v;
        if (values != nullptr && values->IsArray() && index < values->Size()) v = number_of((*values)[index]);
        if (!v || std::isnan(*v)) {
          series.PushBack(rapidjson::Value(), a);
          continue;
        }
        const double stored = static_cast<double>(static_cast<float>(*v));  // XO keeps a Float32Array
        series.PushBack(rapidjson::Value(apply(rule->transform, stored)), a);
      }
      rapidjson::Value* node = &stats;
      size_t depth = 0;
      while (depth < 3 && rule->path[depth] != nullptr) ++depth;
      for (size_t i = 0; i < depth; ++i) {
        std::string_view k = std::string_view(rule->path[i]) == "$1" ? std::string_view(capture) : rule->path[i];
        if (i + 1 == depth) {
          set_member(*node, k, std::move(series), a);
        } else {
          node = &child(*node, k, a);
        }
      }
    }
  }
  if (!found) {
    out->AddMember("endTimestamp", rapidjson::Value(static_cast<int64_t>(server_time)), a);
    out->AddMember("interval", rapidjson::Value(static_cast<int64_t>(step)), a);
    out->AddMember("stats", rapidjson::Value(rapidjson::kObjectType), a);
    return Status::ok();
  }
  if (end) {
    out->AddMember("endTimestamp", rapidjson::Value(*end), a);
  } else {
    out->AddMember("endTimestamp", rapidjson::Value(), a);
  }
  out->AddMember("interval", rapidjson::Value(static_cast<int64_t>(step)), a);
  out->AddMember("stats", std::move(stats), a);
  return Status::ok();
}

}  // namespace xr::xo

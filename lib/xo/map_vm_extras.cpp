// Small parsers behind a few VM fields: template disks XML, firmware restrictions XML,
// XO's creation metadata, xscontainer's docker flag, XSA-468 exposure.
#include <rapidjson/document.h>

#include <cstdlib>
#include <string>

#include "xo/mappers.h"

namespace xr::xo {
namespace {

using rapidjson::Value;

// Attributes of one XML start tag body ('a="1" b="x"'), in order.
std::vector<std::pair<std::string_view, std::string_view>> attributes(std::string_view tag) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  size_t i = 0;
  while (true) {
    size_t eq = tag.find('=', i);
    if (eq == std::string_view::npos) break;
    size_t name_end = eq;
    while (name_end > i && tag[name_end - 1] == ' ') --name_end;
    size_t name_start = tag.find_last_of(" \t\n", name_end - 1);
    name_start = name_start == std::string_view::npos || name_start < i ? i : name_start + 1;
    size_t q = tag.find_first_of("\"'", eq);
    if (q == std::string_view::npos) break;
    size_t q2 = tag.find(tag[q], q + 1);
    if (q2 == std::string_view::npos) break;
    out.emplace_back(tag.substr(name_start, name_end - name_start), tag.substr(q + 1, q2 - q - 1));
    i = q2 + 1;
  }
  return out;
}

// Every `<name .../>` or `<name ...>` start tag body in `xml`.
std::vector<std::string_view> tags(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(name);
  size_t i = 0;
  while ((i = xml.find(open, i)) != std::string_view::npos) {
    size_t after = i + open.size();
    if (after < xml.size() && (xml[after] == ' ' || xml[after] == '/' || xml[after] == '>')) {
      size_t end = xml.find('>', after);
      if (end == std::string_view::npos) break;
      out.push_back(xml.substr(after, end - after));
      i = end;
    } else {
      i = after;
    }
  }
  return out;
}

}  // namespace

Value template_info(const Rec& r, JsonOut& o) {
  auto oc = [&](std::string_view k) { return r.map_str("other_config", k); };
  Value info(rapidjson::kObjectType);
  if (r.map_has("other_config", "install-arch")) {
    info.AddMember("arch", o.make_str(oc("install-arch")), o.alloc());
  }
  Value disks(rapidjson::kArrayType);
  std::string_view xml = oc("disks");
  if (xml.find("<provision") != std::string_view::npos) {
    for (std::string_view tag : tags(xml, "disk")) {
      Value d(rapidjson::kObjectType);
      for (auto [k, v] : attributes(tag)) {
        if (k == "bootable") {
          d.AddMember("bootable", Value(v == "true"), o.alloc());
        } else if (k == "size") {
          d.AddMember("size", o.make_num(std::atof(std::string(v).c_str())), o.alloc());
        } else if (k == "sr") {
          d.AddMember("SR", o.make_str(v), o.alloc());
        } else {
          d.AddMember(o.make_str(k), o.make_str(v), o.alloc());
        }
      }
      disks.PushBack(d, o.alloc());
    }
  }
  info.AddMember("disks", disks, o.alloc());
  std::vector<std::string_view> methods;
  std::string_view m = oc("install-methods");
  size_t i = 0;
  while (!m.empty() && i <= m.size()) {
    size_t j = m.find(',', i);
    if (j == std::string_view::npos) j = m.size();
    methods.push_back(m.substr(i, j - i));
    i = j + 1;
  }
  info.AddMember("install_methods", o.make_strings(methods), o.alloc());
  if (r.map_has("other_config", "install-repository")) {
    info.AddMember("install_repository", o.make_str(oc("install-repository")), o.alloc());
  }
  return info;
}

bool is_firmware_supported(std::string_view recommendations, std::string_view firmware) {
  if (recommendations.find("<restriction") == std::string_view::npos) return true;
  std::string field = "supports-" + std::string(firmware);
  for (std::string_view tag : tags(recommendations, "restriction")) {
    std::string_view f, v;
    for (auto [k, val] : attributes(tag)) {
      if (k == "field") f = val;
      if (k == "value") v = val;
    }
    if (f == field) return v != "no";
  }
  return true;
}

Value vm_creation(const Rec& r, JsonOut& o) {
  std::string_view uuid = r.str("uuid");
  std::string key = "xo:" + std::string(uuid.substr(0, 8));
  std::string_view json = r.map_str("other_config", key);
  if (json.empty()) return Value();
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return Value();
  auto it = d.FindMember("creation");
  if (it == d.MemberEnd() || !it->value.IsObject()) return Value();
  return Value(it->value, o.alloc());
}

Value vm_docker(const Rec& r, JsonOut& o) {
  std::string_view monitor = r.map_str("other_config", "xscontainer-monitor");
  if (monitor.empty()) return Value();
  Value d(rapidjson::kObjectType);
  d.AddMember("enabled", Value(monitor != "False"), o.alloc());
  return d;  // container lists (XML in other_config) are not parsed: see the README table
}

// XSA-468 affects Windows PV drivers before 9.x; XO flags Windows VMs whose drivers it
// cannot see or whose version is older. Approximation of XO's per-driver check.
Value vm_vulnerabilities(const VmData& vm, const GuestMetricsData* gm, JsonOut& o) {
  Value out(rapidjson::kObjectType);
  bool running = vm.power_state == "Running" || vm.power_state == "Paused";
  if (!vm.is_windows || !running) {
    out.AddMember("xsa468", Value(false), o.alloc());
    return out;
  }
  Value why(rapidjson::kObjectType);
  std::string_view major = gm ? packed_get(gm->pv_version, "major") : std::string_view{};
  if (!gm || !gm->pv_detected.value_or(!major.empty()) || major.empty()) {
    why.AddMember("reason", "no-pv-drivers-detected", o.alloc());
  } else if (std::atoi(std::string(major).c_str()) < 9) {
    why.AddMember("reason", "pv-driver-version-vulnerable", o.alloc());
    why.AddMember("version", o.make_str(major), o.alloc());
  } else {
    out.AddMember("xsa468", Value(false), o.alloc());
    return out;
  }
  out.AddMember("xsa468", why, o.alloc());
  return out;
}

}  // namespace xr::xo

// Shared helpers of the lib/xapi integration tests (test thread only).
#pragma once

#include <string>

#include "sim_process.h"
#include "xapi/session.h"

namespace xr::xapi::test {

inline SessionOptions options_for(const SimProcess& sim) {
  SessionOptions o;
  o.hosts = {sim.url()};
  o.user = sim.user();
  o.password = sim.password();
  o.endpoint.tls.mode = TlsOptions::Mode::kInsecure;
  o.endpoint.rpc_timeout_ms = 30'000;
  return o;
}

// First ordinary VM (not a template, snapshot or dom0) with this power state; "" if none.
inline std::string find_vm(Session& s, std::string_view power_state) {
  Result<Value> all = s.call("VM.get_all_records", {});
  if (!all.is_ok()) return "";
  for (const Member& m : **all->as_struct()) {
    const Value& r = m.value;
    if (r.get("is_a_template") && *r.get("is_a_template")->as_bool()) continue;
    if (r.get("is_control_domain") && *r.get("is_control_domain")->as_bool()) continue;
    if (r.get("is_a_snapshot") && *r.get("is_a_snapshot")->as_bool()) continue;
    if (r.get_string("power_state") == power_state) return m.name;
  }
  return "";
}

// A new Halted VM made through the simulator's control endpoint; returns its ref.
inline std::string add_halted_vm(const SimProcess& sim, const std::string& name = "it-vm") {
  std::string answer = sim.control("add_vm", R"({"name": ")" + name + R"("})");
  size_t a = answer.find("OpaqueRef:");
  return a == std::string::npos ? "" : answer.substr(a, answer.find('"', a) - a);
}

}  // namespace xr::xapi::test

#include "actions/pool_actions.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actions/host_actions.h"
#include "actions/steps.h"

namespace xr::app::actions {

namespace {

using namespace std::chrono_literals;
using steps::is_true;
using steps::kNull;
using steps::str;
using xapi::Value;

std::string json_string(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

// {"hostId": ..., "hostName": ...}: XO's properties of a per-host sub-task (its name apart).
std::string host_props(const std::string& uuid, const std::string& label) {
  return "{\"hostId\":" + json_string(uuid) + ",\"hostName\":" + json_string(label) + "}";
}

std::string error_of(const Status& s) {
  std::string out = "{\"message\":" + json_string(s.message().empty() ? s.code() : s.message());
  if (s.kind() == ErrorKind::kXapi) {
    out += ",\"code\":" + json_string(s.code()) + ",\"params\":[";
    for (size_t i = 0; i < s.params().size(); ++i) out += (i ? "," : "") + json_string(s.params()[i]);
    out += "]";
  }
  return out + "}";
}

// Runs fn as a sub-task of the XO task with this name and properties (its outcome recorded
// there); sub-tasks begun inside fn nest in it.
Status in_subtask(ActionRun& run, const std::string& name, const std::string& props,
                  const std::function<Status()>& fn) {
  if (run.abort_requested()) return Status(ErrorKind::kCancelled, "aborted");  // between steps
  XR_ASSIGN_OR_RETURN(size_t step, run.begin_step(name, props));
  Status s = fn();
  (void)run.end_step(step, s);
  return s;
}

Status in_subtask(ActionRun& run, const std::string& name, const std::function<Status()>& fn) {
  return in_subtask(run, name, {}, fn);
}

struct HostInfo {
  std::string ref, uuid, label, metrics;
};

// The hosts, the master first (xo-server reboots it first).
Result<std::vector<HostInfo>> hosts_master_first(ActionRun& run, const std::string& master) {
  XR_ASSIGN_OR_RETURN(Value all, run.call("host.get_all_records", {}));
  XR_ASSIGN_OR_RETURN(const Value::Struct* members, all.as_struct());
  std::vector<HostInfo> out;
  for (const xapi::Member& m : *members) {
    out.push_back({m.name, std::string(m.value.get_string("uuid")), std::string(m.value.get_string("name_label")),
                   std::string(m.value.get_string("metrics", kNull))});
  }
  std::stable_sort(out.begin(), out.end(), [&](const HostInfo& a, const HostInfo& b) {
    return (a.ref == master) > (b.ref == master);
  });
  return out;
}

Result<bool> host_live(ActionRun& run, const HostInfo& h) {
  if (h.metrics == kNull) return true;
  XR_ASSIGN_OR_RETURN(Value live, run.call("host_metrics.get_live", {str(h.metrics)}));
  return live.as_bool();
}

const std::set<std::string> kPinnedCodes = {"VM_HAS_PCI_ATTACHED", "VM_HAS_VGPU", "VM_HAS_SRIOV_VIF"};

// Whether host `h` has updates to install (updater.py check_update: a non-empty JSON list).
Result<bool> has_updates(ActionRun& run, const HostInfo& h) {
  Value none = Value::structure();
  XR_ASSIGN_OR_RETURN(Value out, run.call("host.call_plugin", {str(h.ref), str("updater.py"), str("check_update"), none}));
  XR_ASSIGN_OR_RETURN(std::string_view text, out.as_string());
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsArray()) return Status(ErrorKind::kProtocol, "updater.py check_update: not a JSON list");
  return !d.Empty();
}

// xo-server's rollingPoolReboot (and, with update=true, rollingPoolUpdate on XCP-ng).
Status rolling(ActionRun& run, bool update) {
  const bool shutdown_pinned = steps::param_bool(run, "shutdownPinnedVms", false);
  XR_ASSIGN_OR_RETURN(std::string pool, steps::the_pool(run));
  XR_ASSIGN_OR_RETURN(Value prec, steps::record(run, "pool", pool));
  const std::string master(prec.get_string("master"));
  XR_ASSIGN_OR_RETURN(std::vector<HostInfo> hosts, hosts_master_first(run, master));

  std::set<std::string> skip;  // hosts with nothing to install (rolling_update)
  if (update) {
    if (Status st1 = in_subtask(run, "Listing missing patches", [&]() -> Status {
      for (const HostInfo& h : hosts) {
        Status s = in_subtask(run, "Listing missing patches for host " + h.uuid, host_props(h.uuid, h.label),
                              [&]() -> Status {
                                XR_ASSIGN_OR_RETURN(bool any, has_updates(run, h));
                                if (!any) skip.insert(h.ref);
                                return Status::ok();
                              });
        XR_RETURN_IF_ERROR(s);
      }
      return Status::ok();
    }); !st1.is_ok()) return st1;
  }

  bool ha_was_enabled = is_true(prec.get("ha_enabled"));
  if (ha_was_enabled) XR_RETURN_IF_ERROR(run.call("pool.disable_ha", {}).status());
  const Value* oc = prec.get("other_config");
  const bool auto_poweron = oc != nullptr && oc->get_string("auto_poweron") == "true";
  if (auto_poweron) {
    (void)run.call("pool.remove_from_other_config", {str(pool), str("auto_poweron")});
    XR_RETURN_IF_ERROR(run.call("pool.add_to_other_config", {str(pool), str("auto_poweron"), str("false")}).status());
  }
  auto restore = [&]() {
    if (auto_poweron) {
      (void)run.call("pool.remove_from_other_config", {str(pool), str("auto_poweron")});
      (void)run.call("pool.add_to_other_config", {str(pool), str("auto_poweron"), str("true")});
    }
    if (ha_was_enabled) (void)run.warning("HA was disabled for the rolling reboot and is left disabled");
  };

  Status outcome = [&]() -> Status {
    for (const HostInfo& h : hosts) {
      XR_ASSIGN_OR_RETURN(bool live, host_live(run, h));
      if (!live) {
        return Status(ErrorKind::kConflict, "incorrect state: host " + h.uuid + " is not running");
      }
    }
    std::vector<std::string> pinned;
    for (const HostInfo& h : hosts) {
      if (skip.count(h.ref)) continue;
      XR_ASSIGN_OR_RETURN(Value blocked, run.call("host.get_vms_which_prevent_evacuation", {str(h.ref)}));
      XR_ASSIGN_OR_RETURN(const Value::Struct* list, blocked.as_struct());
      bool all_pinned = true;
      for (const xapi::Member& m : *list) {
        auto codes = m.value.as_array();
        std::string code;
        if (codes.is_ok() && !(*codes)->empty()) {
          auto c = (**codes)[0].as_string();
          code = c.is_ok() ? std::string(*c) : "";
        }
        if (!kPinnedCodes.count(code)) all_pinned = false;
      }
      if (!all_pinned) XR_RETURN_IF_ERROR(run.call("host.assert_can_evacuate", {str(h.ref)}).status());
      if (!shutdown_pinned) {
        for (const xapi::Member& m : *list) {
          auto u = steps::call_string(run, "VM.get_uuid", {str(m.name)});
          pinned.push_back(u.is_ok() ? *u : m.name);
        }
      }
    }
    if (!pinned.empty()) {
      std::string l;
      for (const std::string& u : pinned) l += (l.empty() ? "" : ", ") + u;
      return Status(ErrorKind::kConflict, "incorrect state: pinned VMs: " + l);
    }

    // where the running guests are, to bring them back afterwards
    std::map<std::string, std::vector<std::string>> vms_by_host;
    XR_ASSIGN_OR_RETURN(Value vms, run.call("VM.get_all_records_where",
                                            {str("field \"power_state\" = \"Running\" and field "
                                                 "\"is_control_domain\" = \"false\"")}));
    XR_ASSIGN_OR_RETURN(const Value::Struct* vmlist, vms.as_struct());
    for (const xapi::Member& m : *vmlist) vms_by_host[std::string(m.value.get_string("resident_on"))].push_back(m.name);

    const int steps_per_host = update ? 3 : 2;
    const int total = static_cast<int>(hosts.size()) * (steps_per_host + 1);
    int done = 0;
    auto advance = [&]() { (void)run.set_progress(std::min(99, ++done * 100 / std::max(total, 1))); };

    if (Status st2 = in_subtask(run, update ? "Updating and rebooting" : "Restarting hosts",
                                  [&]() -> Status {
      for (const HostInfo& h : hosts) {
        if (skip.count(h.ref)) {
          done += steps_per_host;
          continue;
        }
        if (Status st3 = in_subtask(run, "Restarting host " + h.uuid, host_props(h.uuid, h.label), [&]() -> Status {
          XR_RETURN_IF_ERROR(steps::wait_until(run, [&]() { return host_live(run, h); }, "the host to be live", 20min));
          if (Status st4 = in_subtask(run, "Check evacuation precondition", host_props(h.uuid, h.label), [&]() {
            return run.call("host.assert_can_evacuate", {str(h.ref)}).status();
          }); !st4.is_ok()) return st4;
          if (Status st5 = in_subtask(run, "Evacuate", host_props(h.uuid, h.label),
                                        [&]() { return clear_host(run, h.ref, false); }); !st5.is_ok()) return st5;
          advance();
          if (update) {
            if (Status st6 = in_subtask(run, "Installing patches", host_props(h.uuid, h.label), [&]() -> Status {
              Value none = Value::structure();
              return run.call_async("host.call_plugin", {str(h.ref), str("updater.py"), str("update"), none}).status();
            }); !st6.is_ok()) return st6;
            advance();
          }
          XR_ASSIGN_OR_RETURN(double before, steps::agent_start_time(run, h.ref));
          if (Status st7 = in_subtask(run, "Restart", host_props(h.uuid, h.label), [&]() {
            return run.call_async("host.reboot", {str(h.ref)}).status();
          }); !st7.is_ok()) return st7;
          if (Status st8 = in_subtask(run, "Waiting for host to be up", host_props(h.uuid, h.label), [&]() {
            return steps::wait_host_back(run, h.ref, before, 20min);
          }); !st8.is_ok()) return st8;
          advance();
          return Status::ok();
        }); !st3.is_ok()) return st3;
      }
      return Status::ok();
    }); !st2.is_ok()) return st2;

    // Migrate VMs back, starting with the last host (the emptiest after the run)
    std::vector<HostInfo> back = hosts;
    if (back.size() > 1) std::swap(back.front(), back.back());
    if (Status st9 = in_subtask(run, "Migrate VMs back", [&]() -> Status {
      for (const HostInfo& h : back) {
        advance();
        auto it = vms_by_host.find(h.ref);
        if (skip.count(h.ref) || it == vms_by_host.end()) continue;
        (void)in_subtask(run, "Migrating VMs back to host " + h.uuid, host_props(h.uuid, h.label), [&]() -> Status {
          XR_ASSIGN_OR_RETURN(Value resident, run.call("host.get_resident_VMs", {str(h.ref)}));
          std::set<std::string> here;
          if (auto a = resident.as_array(); a.is_ok()) {
            for (const Value& v : **a) {
              if (auto s = v.as_string(); s.is_ok()) here.insert(std::string(*s));
            }
          }
          for (const std::string& vm : it->second) {
            if (here.count(vm)) continue;
            Status s = run.call_async("VM.pool_migrate", {str(vm), str(h.ref), Value::structure()}).status();
            if (!s.is_ok()) (void)run.warning("could not migrate a VM back to host " + h.uuid, error_of(s));
          }
          return Status::ok();
        });
      }
      return Status::ok();
    }); !st9.is_ok()) return st9;
    return Status::ok();
  }();
  restore();
  return outcome;
}

// Network creation common to the three create_*network actions: network.create as XO
// (description "Created with Xen Orchestra", other_config.automatic=false), NBD purpose.
Result<std::string> create_network(ActionRun& run, const std::function<Status(const std::string&)>& attach) {
  Value rec = Value::structure();
  rec.add_member("name_label", str(steps::param_string(run, "name")));
  const std::string desc = steps::param_string(run, "description");
  rec.add_member("name_description", str(desc.empty() && steps::param(run, "description") == nullptr
                                             ? "Created with Xen Orchestra" : desc));
  const rapidjson::Value* mtu = steps::param(run, "mtu");
  rec.add_member("MTU", Value::integer(mtu != nullptr && mtu->IsInt64() ? mtu->GetInt64() : 1500));
  Value oc = Value::structure();
  oc.add_member("automatic", str("false"));
  rec.add_member("other_config", oc);
  XR_ASSIGN_OR_RETURN(std::string net, steps::call_string(run, "network.create", {rec}));
  Status s = attach ? attach(net) : Status::ok();
  if (s.is_ok() && steps::param_bool(run, "nbd", false)) {
    s = run.call("network.add_purpose", {str(net), str("nbd")}).status();
  }
  if (!s.is_ok()) {
    (void)run.call_async("network.destroy", {str(net)});
    return s;
  }
  XR_ASSIGN_OR_RETURN(std::string uuid, steps::call_string(run, "network.get_uuid", {str(net)}));
  return "\"" + uuid + "\"";
}

}  // namespace

Result<std::string> pool_emergency_shutdown(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string pool, steps::the_pool(run));
  XR_ASSIGN_OR_RETURN(std::string master, steps::call_string(run, "pool.get_master", {str(pool)}));
  Status ha = run.call("pool.disable_ha", {}).status();
  if (!ha.is_ok() && !(ha.kind() == ErrorKind::kXapi && ha.code() == "HA_NOT_ENABLED")) return ha;
  XR_ASSIGN_OR_RETURN(std::vector<HostInfo> hosts, hosts_master_first(run, master));
  for (const HostInfo& h : hosts) {
    Status s = run.call("host.disable", {str(h.ref)}).status();
    if (!s.is_ok()) (void)run.warning("could not disable host " + h.uuid, error_of(s));
    XR_ASSIGN_OR_RETURN(std::string dom0, steps::call_string(run, "host.get_control_domain", {str(h.ref)}));
    XR_ASSIGN_OR_RETURN(Value vms, run.call("host.get_resident_VMs", {str(h.ref)}));
    XR_ASSIGN_OR_RETURN(const Value::Array* list, vms.as_array());
    for (const Value& vm : *list) {
      auto r = vm.as_string();
      if (!r.is_ok() || *r == dom0) continue;
      (void)in_subtask(run, "suspending VM", [&]() -> Status {
        Status v = run.call_async("VM.suspend", {vm}).status();
        if (v.kind() == ErrorKind::kXapi && v.code() == "VM_BAD_POWER_STATE") return Status::ok();
        return v;
      });
    }
  }
  // the supporters first, the master last
  for (auto it = hosts.rbegin(); it != hosts.rend(); ++it) {
    (void)in_subtask(run, "shutting down host", host_props(it->uuid, it->label),
                     [&]() { return run.call_async("host.shutdown", {str(it->ref)}).status(); });
  }
  return std::string();
}

Result<std::string> pool_rolling_reboot(ActionRun& run) {
  XR_RETURN_IF_ERROR(rolling(run, false));
  return std::string();
}

Result<std::string> pool_rolling_update(ActionRun& run) {
  XR_RETURN_IF_ERROR(rolling(run, true));
  return std::string();
}

Result<std::string> pool_create_network(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string pif, steps::ref_of(run, "PIF", steps::param_string(run, "pif")));
  const rapidjson::Value* vlan = steps::param(run, "vlan");
  const int64_t tag = vlan != nullptr && vlan->IsInt64() ? vlan->GetInt64() : 0;
  return create_network(run, [&](const std::string& net) {
    return run.call("pool.create_VLAN_from_PIF", {str(pif), str(net), Value::integer(tag)}).status();
  });
}

Result<std::string> pool_create_internal_network(ActionRun& run) { return create_network(run, nullptr); }

// xo-server's createBondedNetwork: for each PIF given, the PIFs of the same network (a
// physical NIC's pool-wide network; without one, the same device) on every host, grouped by
// host; one Bond.create per host.
Result<std::string> pool_create_bonded_network(ActionRun& run) {
  std::map<std::string, std::vector<Value>> by_host;
  const rapidjson::Value* ids = steps::param(run, "pifIds");
  XR_ASSIGN_OR_RETURN(Value all, run.call("PIF.get_all_records", {}));
  XR_ASSIGN_OR_RETURN(const Value::Struct* pifs, all.as_struct());
  if (ids != nullptr && ids->IsArray()) {
    for (const auto& id : ids->GetArray()) {
      if (!id.IsString()) continue;
      XR_ASSIGN_OR_RETURN(std::string pif, steps::ref_of(run, "PIF", id.GetString()));
      const Value* rec = nullptr;
      for (const xapi::Member& m : *pifs) {
        if (m.name == pif) rec = &m.value;
      }
      if (rec == nullptr) continue;
      const std::string net(rec->get_string("network", kNull));
      const std::string device(rec->get_string("device"));
      for (const xapi::Member& m : *pifs) {
        const bool same = net != kNull ? m.value.get_string("network") == net
                                       : (m.value.get_string("device") == device &&
                                          m.value.get_string("VLAN") == rec->get_string("VLAN"));
        if (same) by_host[std::string(m.value.get_string("host"))].push_back(str(m.name));
      }
    }
  }
  const std::string mode = steps::param_string(run, "bondMode");
  return create_network(run, [&](const std::string& net) -> Status {
    for (auto& [host, members] : by_host) {
      XR_RETURN_IF_ERROR(run.call("Bond.create", {str(net), Value::array(members), str(""), str(mode)}).status());
    }
    return Status::ok();
  });
}

Result<std::string> pool_management_reconfigure(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string net, steps::ref_of(run, "network", steps::param_string(run, "network")));
  XR_RETURN_IF_ERROR(run.call_async("pool.management_reconfigure", {str(net)}).status());
  return std::string();
}

}  // namespace xr::app::actions

#include "actions/steps.h"

#include <cstdlib>
#include <thread>

namespace xr::app::actions::steps {

Result<std::string> call_string(ActionRun& run, std::string_view method, std::vector<Value> args) {
  XR_ASSIGN_OR_RETURN(Value v, run.call(method, std::move(args)));
  XR_ASSIGN_OR_RETURN(std::string_view s, v.as_string());
  return std::string(s);
}

bool is_true(const Value* v) {
  if (v == nullptr) return false;
  auto b = v->as_bool();
  return b.is_ok() && *b;
}

Result<std::string> the_pool(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(Value pools, run.call("pool.get_all", {}));
  XR_ASSIGN_OR_RETURN(const Value::Array* list, pools.as_array());
  if (list->empty()) return Status(ErrorKind::kProtocol, "the pool has no pool object");
  XR_ASSIGN_OR_RETURN(std::string_view ref, (*list)[0].as_string());
  return std::string(ref);
}

Result<std::string> default_sr(ActionRun& run) {
  XR_ASSIGN_OR_RETURN(std::string pool, the_pool(run));
  XR_ASSIGN_OR_RETURN(std::string sr, call_string(run, "pool.get_default_SR", {str(pool)}));
  if (sr == kNull) return Status(ErrorKind::kConflict, "this operation requires a default SR on the pool");
  return sr;
}

Result<std::string> ref_of(ActionRun& run, std::string_view cls, const std::string& uuid) {
  return call_string(run, std::string(cls) + ".get_by_uuid", {str(uuid)});
}

Result<Value> record(ActionRun& run, std::string_view cls, const std::string& ref) {
  return run.call(std::string(cls) + ".get_record", {str(ref)});
}

std::vector<std::string> refs_in(const Value& rec, std::string_view field) {
  std::vector<std::string> out;
  const Value* v = rec.get(field);
  if (v == nullptr) return out;
  auto arr = v->as_array();
  if (!arr.is_ok()) return out;
  for (const Value& x : **arr) {
    auto s = x.as_string();
    if (s.is_ok()) out.emplace_back(*s);
  }
  return out;
}

const rapidjson::Value* param(ActionRun& run, std::string_view name) {
  const rapidjson::Value& p = run.params();
  if (!p.IsObject()) return nullptr;
  auto it = p.FindMember(rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  return it == p.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string param_string(ActionRun& run, std::string_view name) {
  const rapidjson::Value* v = param(run, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

bool param_bool(ActionRun& run, std::string_view name, bool fallback) {
  const rapidjson::Value* v = param(run, name);
  return v != nullptr && v->IsBool() ? v->GetBool() : fallback;
}

Status void_on_object(ActionRun& run, std::string_view method) {
  return run.call_async(method, {str(run.object_ref())}).status();
}

bool transient(const Status& s) {
  if (s.kind() == ErrorKind::kTransport || s.kind() == ErrorKind::kTimeout) return true;
  return s.kind() == ErrorKind::kXapi &&
         (s.code() == "HOST_STILL_BOOTING" || s.code() == "SESSION_INVALID" || s.code() == "HOST_IS_SLAVE");
}

Status wait_until(ActionRun& run, const std::function<Result<bool>()>& pred, std::string_view what,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds every) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (run.abort_requested()) return Status(ErrorKind::kCancelled, "aborted while waiting for " + std::string(what));
    Result<bool> r = pred();
    if (r.is_ok() && *r) return Status::ok();
    if (!r.is_ok() && !transient(r.status())) return r.status();
    if (std::chrono::steady_clock::now() >= end) {
      return Status(ErrorKind::kTimeout, "timed out waiting for " + std::string(what));
    }
    std::this_thread::sleep_for(every);
  }
}

Result<double> agent_start_time(ActionRun& run, const std::string& host_ref) {
  XR_ASSIGN_OR_RETURN(Value oc, run.call("host.get_other_config", {str(host_ref)}));
  std::string_view t = oc.get_string("agent_start_time", "0");
  return std::strtod(std::string(t).c_str(), nullptr);
}

Status wait_host_back(ActionRun& run, const std::string& host_ref, double after,
                      std::chrono::milliseconds timeout) {
  return wait_until(
      run,
      [&]() -> Result<bool> {
        XR_ASSIGN_OR_RETURN(Value h, record(run, "host", host_ref));
        auto enabled = h.get("enabled") != nullptr ? h.get("enabled")->as_bool() : Result<bool>(false);
        if (!enabled.is_ok() || !*enabled) return false;
        XR_ASSIGN_OR_RETURN(double started, agent_start_time(run, host_ref));
        if (started <= after) return false;
        std::string metrics(h.get_string("metrics", "OpaqueRef:NULL"));
        if (metrics == "OpaqueRef:NULL") return true;
        XR_ASSIGN_OR_RETURN(Value live, run.call("host_metrics.get_live", {str(metrics)}));
        return live.as_bool();
      },
      "the host to be enabled with a restarted agent", timeout);
}

}  // namespace xr::app::actions::steps

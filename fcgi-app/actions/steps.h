// Small building blocks the catalogue's executors share (acts room's families: hosts, pools,
// SRs/PBDs/VBDs/VIFs/VDIs, VM migrate/revert): typed XAPI lookups, the validated
// parameters, and waiting for an object to reach a state. Runner job threads; block on XAPI.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "actions/action.h"

namespace xr::app::actions::steps {

using xapi::Value;

inline Value str(std::string s) { return Value::string(std::move(s)); }
inline constexpr char kNull[] = "OpaqueRef:NULL";

// A boolean field that is present and true.
bool is_true(const Value* v);
// The pool object's ref; its default SR (kConflict when it has none).
Result<std::string> the_pool(ActionRun& run);
Result<std::string> default_sr(ActionRun& run);

// A string-valued call ("VM.get_uuid", ...).
Result<std::string> call_string(ActionRun& run, std::string_view method, std::vector<Value> args);
// The ref of the object of XAPI class `cls` whose uuid is `uuid` (UUID_INVALID kept).
Result<std::string> ref_of(ActionRun& run, std::string_view cls, const std::string& uuid);
// `cls.get_record(ref)`.
Result<Value> record(ActionRun& run, std::string_view cls, const std::string& ref);
// A set-of-refs field as strings.
std::vector<std::string> refs_in(const Value& record, std::string_view field);

// Parameters after validation (names as the schema spells them).
std::string param_string(ActionRun& run, std::string_view name);
bool param_bool(ActionRun& run, std::string_view name, bool fallback);
const rapidjson::Value* param(ActionRun& run, std::string_view name);

// Async `method(object_ref)` with no result.
Status void_on_object(ActionRun& run, std::string_view method);

// Polls pred every `every` until it answers true, up to `timeout`; XAPI being unreachable or
// still booting (a host or the master's toolstack restarting) counts as "not yet". kTimeout
// naming `what` when the time is up; kCancelled as soon as the XO task's abort is requested.
Status wait_until(ActionRun& run, const std::function<Result<bool>()>& pred, std::string_view what,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds every = std::chrono::milliseconds(500));

// True for failures that a restarting toolstack gives (transport, HOST_STILL_BOOTING,
// SESSION_INVALID after the restart): worth retrying.
bool transient(const Status& s);

// other_config.agent_start_time of a host, in seconds (0 when absent).
Result<double> agent_start_time(ActionRun& run, const std::string& host_ref);
// Waits until the host is enabled with an agent started after `after` (s) and live metrics
// (xo-server's wait after a host reboot / toolstack restart).
Status wait_host_back(ActionRun& run, const std::string& host_ref, double after,
                      std::chrono::milliseconds timeout);

}  // namespace xr::app::actions::steps

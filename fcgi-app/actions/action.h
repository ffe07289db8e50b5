// The action catalogue: every POST /rest/v0/<collection>/{id}/actions/<name> there is, with
// XO's task label, its parameters (XO's params schema) and the executor the runner runs.
// The catalogue is constant data (any thread); executors run on the runner's job threads
// and block on XAPI.
#pragma once

#include <rapidjson/document.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "xapi/http_transfer.h"
#include "xapi/value.h"

namespace xr::app::actions {

// What an action gives back, which decides the synchronous answers (reference §b.5).
enum class Returns {
  kNothing,    // seed ?sync: 200, empty body; XO sync=true: 204
  kNewObject,  // the new object's uuid: seed ?sync: 200 "uuid"; XO: 201 {"id"} + Location
};

// What an executor gets: the object, its validated parameters, the pool's XAPI session
// through calls that follow XAPI tasks and report into the XO task. Runner job thread.
class ActionRun {
 public:
  virtual ~ActionRun() = default;
  virtual const std::string& object_id() const = 0;   // XO id (uuid)
  virtual const std::string& object_ref() const = 0;  // XAPI OpaqueRef
  // The body after validation: an object with the schema's names (defaults filled in).
  virtual const rapidjson::Value& params() const = 0;
  // Async.<method>(args) followed to completion: its progress goes to the XO task, an abort
  // of the XO task cancels it. The XAPI task's result (a ref for VM.snapshot, ...).
  virtual Result<xapi::Value> call_async(std::string_view method, std::vector<xapi::Value> args) = 0;
  // A synchronous call (lookups: VM.get_uuid, host.get_by_uuid, ...).
  virtual Result<xapi::Value> call(std::string_view method, std::vector<xapi::Value> args) = 0;
  // PUT `bytes` to `path` on the pool (e.g. "/import_raw_vdi/" with {{"vdi", ref},
  // {"format", "raw"}} for a config drive), bound to a XAPI task followed to its end.
  virtual Result<xapi::Value> upload(std::string_view path, const xapi::Query& query, std::string bytes) = 0;
  // A line in the XO task's infos / warnings.
  virtual Status info(std::string_view message, std::string_view data_json = "{}") = 0;
  virtual Status warning(std::string_view message, std::string_view data_json = "{}") = 0;
  // The task's progress (0..100) for multi-step actions (call_async reports its own).
  virtual Status set_progress(int64_t percent) = 0;
  // A step of a multi-step action, shown as a sub-task (XO's "tasks", nested inside the step
  // still open, as XO nests them; `properties_json`: more properties, e.g. hostId/hostName):
  // begin returns its index, end records the step's outcome (ok, or the error with XAPI's
  // code and params).
  virtual Result<size_t> begin_step(std::string_view name, std::string_view properties_json = {}) = 0;
  virtual Status end_step(size_t index, const Status& outcome) = 0;
  // True once an abort of the XO task was asked: long actions stop between steps.
  virtual bool abort_requested() = 0;
  // Writes `bytes` into the VDI through the pool's PUT /import_raw_vdi (format raw).
  virtual Status import_raw_vdi(const std::string& vdi_ref, std::string bytes) = 0;
  // The other configured pools (by name) and a plain call on one of them, for actions that
  // span two pools (cross-pool VM migration).
  virtual std::vector<std::string> other_pools() const = 0;
  virtual Result<xapi::Value> call_in(const std::string& pool, std::string_view method,
                                      std::vector<xapi::Value> args) = 0;
};

struct ActionSpec {
  std::string_view collection;   // "vms"
  std::string_view name;         // "start"
  // Its row in the route table (generated, routes/route_table.cpp) and the OpenAPI document:
  // XO's operationId where XO has the action, a one-line summary, XO's x-mcp-exposure
  // ("confirm" or "deny").
  std::string_view operation_id;
  std::string_view summary;
  std::string_view mcp;
  std::string_view label;        // XO's task name without "REST API: " ("start VM")
  std::string_view object_type;  // XO's type of the object ("VM"), properties.objectType
  // XO's params schema (what GET .../actions/<name> answers under "params"): an object of
  // {"<param>": {"type": ..., "optional"?: true, "default"?: ..., "enum"?: [...], ...}};
  // "" when the action takes none.
  std::string_view params;
  Returns returns;
  std::string_view created_collection;  // kNewObject: the collection Location points into
  // Runs the action; returns the result as JSON text ("" for kNothing, "\"<uuid>\"" for
  // kNewObject, which the task records as {"id": "<uuid>"}, XO's object-typed result).
  // XAPI failures keep their code and parameters.
  Result<std::string> (*execute)(ActionRun& run);
  // No route of its own: another route runs it (routes/action_routes.h start_action), e.g. a
  // DELETE that takes long. Not listed under .../actions either.
  bool hidden = false;
};

// Every action, grouped by collection.
std::span<const ActionSpec> catalogue();
// nullptr when `collection` has no action `name`.
const ActionSpec* find_action(std::string_view collection, std::string_view name);
// The actions of a collection that have routes (hidden ones left out), by name (XO's order).
std::vector<const ActionSpec*> actions_of(std::string_view collection);

}  // namespace xr::app::actions

// What every mutation route shares: the object it changes (resolved from the cache to its
// XAPI class, ref and pool), the If-Match precondition, the body as JSON, and the commit
// step (read-your-writes barrier, then the success status). Worker request thread; the
// XAPI calls block (a read-write session of worker/xapi_writes.h).
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

#include "routes/context.h"
#include "xapi/value.h"

namespace xr::app {

// The object a mutation targets, as the cache shows it before the change.
struct Target {
  std::string collection;  // "vms"
  std::string id;          // XO id (uuid)
  std::string xapi_class;  // "VM"
  std::string ref;         // OpaqueRef of the object
  std::string pool;        // configured pool name ([[pool]] name)
  std::string pool_ref;    // OpaqueRef of the pool object (event.inject target)
  std::string json;        // the object's JSON text (its ETag is body_etag(json))
};

// XAPI class of a collection's objects ("vms" -> "VM"); empty when the collection has none.
std::string_view xapi_class_of(std::string_view collection);

// Loads `id` of `collection` (XO's 404 when absent) and where it lives.
Status resolve_target(Context& ctx, std::string_view collection, std::string_view id, Target* out);
// The pool name and the pool object's ref of the pool with XO id `pool_id` (kNotFound if none).
Status resolve_pool(Context& ctx, std::string_view pool_id, std::string* pool, std::string* pool_ref);

// If-Match (RFC 9110, strong comparison): OK when absent, "*", or one listed tag equals the
// object's current ETag; otherwise kPreconditionFailed and nothing may be changed.
Status check_if_match(Context& ctx, const Target& target);

// The request body as a JSON object (an empty body is {}); 400 for anything else.
Status read_json_object(Context& ctx, rapidjson::Document* doc);
// The body (read_json_object) checked against a schema in the action catalogue's form
// (actions/params.h): every bad key at once as XO's 422 field map, defaults filled in.
Result<rapidjson::Document> read_params(Context& ctx, std::string_view schema);

// One XAPI call of a mutation: `method(ref_or_first_arg, args...)`; when XAPI refuses it
// with a code starting with `retry_on` (non-empty), the same method once more with
// `retry_args` (XO's fallbacks, e.g. memory limits pinned when the range is refused).
struct XapiOp {
  std::string method;
  std::vector<xapi::Value> args;  // after the session
  std::string retry_on = {};
  std::vector<xapi::Value> retry_args = {};
};

// Runs the calls in order on the target's pool (the first failure, after its retry if any,
// stops: XAPI has no transactions, XO does the same), then waits until the cache shows
// them (barrier).
Status apply_ops(Context& ctx, const std::string& pool, const std::string& pool_ref,
                 std::vector<XapiOp> ops);
// The barrier alone (after calls made some other way).
Status wait_for_cache(Context& ctx, const std::string& pool, const std::string& pool_ref);

// How long a mutation waits for its change to reach the cache before answering 504.
inline constexpr int kBarrierTimeoutMs = 15000;

}  // namespace xr::app

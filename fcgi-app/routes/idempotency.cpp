#include "routes/idempotency.h"

#include <unistd.h>

#include <string>

#include "auth/auth_store.h"
#include "base/log.h"
#include "base/process_identity.h"
#include "idempotency/idempotency_store.h"
#include "routes/route_table.h"
#include "routes/server_admin_routes.h"
#include "routes/sr_routes.h"
#include "routes/user_admin_routes.h"
#include "routes/user_routes.h"
#include "transfer/import_routes.h"

namespace xr::app {

namespace {

const log::Logger kLog("idempotency");

// The bodies POSTed to the routes it applies to are JSON of at most 1 MiB (their handlers'
// own bound); a larger one is refused by the handler's read as before.
constexpr size_t kMaxBody = 1 << 20;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

// "<host>/<pid>:<start time>" of this process: several nodes may share one database.
const std::string& this_owner() {
  static const std::string owner = host_name() + "/" + process_identity(getpid());
  return owner;
}

bool owner_alive(std::string_view owner) {
  static const std::string host = host_name() + "/";
  if (owner.substr(0, host.size()) != host) return true;  // another node: its lease decides
  return process_alive(owner.substr(host.size()));
}

// The header's value; a structured-field string ("...") loses its quotes.
std::string_view key_of(const Context& ctx) {
  std::string_view v = ctx.req.param("HTTP_IDEMPOTENCY_KEY");
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// The kept headers: what the handler added but Content-Length (send() adds it again).
std::string kept_headers(const std::string& headers) {
  std::string out;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find("\r\n", pos);
    if (end == std::string::npos) end = headers.size();
    std::string_view line(headers.data() + pos, end - pos);
    if (line.substr(0, 15) != "Content-Length:") out.append(line).append("\r\n");
    pos = end + 2;
  }
  return out;
}

void replay(Context& ctx, const idempotency::Answer& a) {
  size_t pos = 0;
  while (pos < a.headers.size()) {
    size_t end = a.headers.find("\r\n", pos);
    if (end == std::string::npos) end = a.headers.size();
    std::string_view line(a.headers.data() + pos, end - pos);
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos) ctx.res.add_header(line.substr(0, colon), line.substr(colon + 2));
    pos = end + 2;
  }
  ctx.res.add_header("Idempotent-Replayed", "true");
  ctx.res.send(a.status, a.content_type, a.body);
}

}  // namespace

bool idempotency_applies(const Route& route) {
  // Bodies holding a password (users, servers; a SR's device_config) are not fingerprinted: an
  // unkeyed hash of a password would be cheap to guess.
  return route.method == "POST" && route.handler != &create_token && route.handler != &create_own_token &&
         route.handler != &create_user && route.handler != &create_sr && route.handler != &add_server &&
         route.handler != &post_sr_vdi_import && route.handler != &post_pool_vm_import;
}

constexpr int kInFlightGraceMs = 300;

Status idempotency_begin(Context& ctx, bool* answered) {
  *answered = false;
  if (ctx.req.param("HTTP_IDEMPOTENCY_KEY").empty() || ctx.route == nullptr || !idempotency_applies(*ctx.route)) {
    return Status::ok();
  }
  const std::string_view key = key_of(ctx);
  if (!idempotency::valid_key(key)) {
    return Status(ErrorKind::kInvalidArgument,
                  "invalid Idempotency-Key: 1 to 255 printable ASCII characters expected");
  }
  if (ctx.svc.idempotency == nullptr) return Status(ErrorKind::kUnavailable, "idempotency keys are not available here");
  XR_ASSIGN_OR_RETURN(std::string_view body, ctx.req.buffer_body(kMaxBody));
  const std::string fp = idempotency::fingerprint(ctx.req.method(), ctx.req.param("REQUEST_URI"), body);
  XR_ASSIGN_OR_RETURN(idempotency::Claim claim,
                      ctx.svc.idempotency->claim(ctx.user->id, key, fp, this_owner(), auth::now_ms(), &owner_alive));
  // The first request's answer leaves for the client a moment before its worker keeps it
  // (idempotency_end runs after the handler has sent it): a client retrying at once must get
  // the replay, not a 409, so an in-flight key is looked at again for a short grace period.
  for (int i = 0; i < kInFlightGraceMs / 10 && claim.outcome == idempotency::Outcome::kInFlight; ++i) {
    usleep(10 * 1000);
    XR_ASSIGN_OR_RETURN(claim, ctx.svc.idempotency->claim(ctx.user->id, key, fp, this_owner(), auth::now_ms(),
                                                          &owner_alive));
  }
  switch (claim.outcome) {
    case idempotency::Outcome::kClaimed:
      ctx.idempotency.key = std::string(key);
      ctx.idempotency.owner = this_owner();
      ctx.res.capture_body(&ctx.idempotency.body);
      return Status::ok();
    case idempotency::Outcome::kReplay:
      replay(ctx, claim.answer);
      *answered = true;
      return Status::ok();
    case idempotency::Outcome::kInFlight:
      ctx.res.add_header("Retry-After", "1");
      return Status(ErrorKind::kConflict, "a request with this Idempotency-Key is still being processed");
    case idempotency::Outcome::kMismatch:
      return Status(ErrorKind::kInvalidParameters,
                    "this Idempotency-Key was used for another request (method, path or body)");
  }
  return Status::ok();
}

void idempotency_end(Context& ctx) {
  IdempotencyClaim& c = ctx.idempotency;
  if (c.key.empty() || ctx.svc.idempotency == nullptr) return;
  ctx.res.capture_body(nullptr);
  const int status = ctx.res.status();
  Status st;
  if (status == 429 || status == 503 || ctx.res.aborted()) {
    st = ctx.svc.idempotency->release(ctx.user->id, c.key, c.owner);
  } else {
    // A ?sync action's answer is its hand-off to the stream role (X-Accel-Redirect to the
    // task's wait): replayed, it waits for the same task again and answers its result.
    st = ctx.svc.idempotency->complete(ctx.user->id, c.key, c.owner,
                                       {status, ctx.res.content_type(), kept_headers(ctx.res.extra_headers()), c.body});
  }
  if (!st.is_ok()) kLog.error("cannot keep the answer of an Idempotency-Key: " + st.to_string());
}

}  // namespace xr::app

#include "worker/xapi_writes.h"

#include <algorithm>
#include <chrono>

#include "poller/session_options.h"
#include "xapi/event.h"

namespace xr::app {

XapiWrites::XapiWrites(const config::Config& config) : sessions_(config, "xapi-rest writes", 60000) {}

Result<xapi::Session*> XapiWrites::session(std::string_view pool) { return sessions_.get(pool); }

Result<xapi::Value> XapiWrites::call(std::string_view pool, std::string_view method,
                                     std::vector<xapi::Value> params) {
  XR_ASSIGN_OR_RETURN(xapi::Session * s, session(pool));
  Result<xapi::Value> r = s->call(method, std::move(params));
  if (!r.is_ok()) return xapi::without_session_ref(r.status());
  return r;
}

uint64_t applied_event_gen(const cache::Reader& reader, std::string_view pool) {
  for (const cache::PoolStatus& st : reader.pool_statuses()) {
    if (st.key == pool) return st.event_gen;
  }
  return 0;
}

Status XapiWrites::barrier(std::string_view pool, std::string_view pool_ref, const cache::Reader& reader,
                           int timeout_ms) {
  XR_ASSIGN_OR_RETURN(xapi::Value token,
                      call(pool, "event.inject", {xapi::Value::string("pool"), xapi::Value::string(std::string(pool_ref))}));
  XR_ASSIGN_OR_RETURN(std::string_view text, token.as_string());
  const uint64_t injected = xapi::token_generation(text);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const uint32_t word = reader.status_word();  // before the check: no lost wake-up
    if (applied_event_gen(reader, pool) > injected) return Status::ok();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    reader.wait_for_status(word, static_cast<int>(std::min<int64_t>(left, 1000)));
  }
  return Status(ErrorKind::kGatewayTimeout,
                "XAPI accepted the change but it did not reach this service's cache within " +
                    std::to_string(timeout_ms / 1000) + " s");
}

}  // namespace xr::app

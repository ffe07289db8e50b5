// The XAPI session options of a configured pool (URL, credentials, TLS policy). Shared by the
// poller and by the workers' read-only XAPI calls (worker/xapi_reads.h). Any thread.
#pragma once

#include "config/config.h"
#include "xapi/session.h"

namespace xr::app {

xapi::SessionOptions session_options(const config::PoolConfig& pool);

}  // namespace xr::app

#include "poller/session_options.h"

namespace xr::app {

xapi::SessionOptions session_options(const config::PoolConfig& pool) {
  xapi::SessionOptions o;
  o.hosts = {pool.url};
  o.user = pool.user;
  o.password = pool.password;
  o.endpoint.connect_timeout_ms = pool.connect_timeout * 1000;
  o.login_timeout_ms = pool.login_timeout * 1000;
  switch (pool.tls_mode()) {
    case config::TlsMode::kVerify:
      o.endpoint.tls.mode = xapi::TlsOptions::Mode::kVerifyCa;
      o.endpoint.tls.ca_file = pool.ca;
      break;
    case config::TlsMode::kFingerprint:
      o.endpoint.tls.mode = xapi::TlsOptions::Mode::kPinPublicKey;
      o.endpoint.tls.pin = pool.fingerprint;
      break;
    case config::TlsMode::kInsecure: o.endpoint.tls.mode = xapi::TlsOptions::Mode::kInsecure; break;
  }
  return o;
}

}  // namespace xr::app

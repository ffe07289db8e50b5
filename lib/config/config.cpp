#include "config/config.h"

#include <cstdlib>

namespace xr::config {

TlsMode PoolConfig::tls_mode() const {
  if (tls == "insecure") return TlsMode::kInsecure;
  if (tls == "fingerprint") return TlsMode::kFingerprint;
  return TlsMode::kVerify;
}

unsigned Config::socket_mode_bits() const {
  return static_cast<unsigned>(std::strtoul(socket_mode.c_str(), nullptr, 8));
}

std::string Config::database_path() const { return data_dir + "/xapi-rest.db"; }

}  // namespace xr::config

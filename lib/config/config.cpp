#include "config/config.h"

#include <unistd.h>

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

std::string Config::node_name() const {
  std::string name = cluster_node;
  if (name.empty()) {
    char host[256] = {};
    (void)gethostname(host, sizeof host - 1);
    name = std::string(host) + ":" + socket;
  }
  for (char& c : name) {
    if (c == '|') c = '_';  // the separator of runner ids and notification payloads
  }
  return name;
}

std::string Config::list_dir_path() const {
  if (!list_dir.empty()) return list_dir;
  const size_t slash = socket.rfind('/');
  return (slash == std::string::npos ? std::string(".") : socket.substr(0, slash)) + "/lists";
}

std::string Config::role_socket_path(std::string_view role, const std::string& configured) const {
  if (!configured.empty()) return configured;
  const size_t slash = socket.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : socket.substr(0, slash);
  return dir + "/" + std::string(role) + ".sock";
}

}  // namespace xr::config

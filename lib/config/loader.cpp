#include "config/loader.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "base/log.h"
#include "config/schema.h"

namespace xr::config {
namespace {

Status key_error(const std::string& source, int line, std::string_view key, std::string_view what) {
  std::string msg = source + ":" + std::to_string(line) + ": " + std::string(key) + ": " +
                    std::string(what);
  return Status(ErrorKind::kInvalidArgument, msg);
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

bool in_choices(std::string_view choices, std::string_view value) {
  while (!choices.empty()) {
    size_t bar = choices.find('|');
    if (choices.substr(0, bar) == value) return true;
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return false;
}

// Applies one key/value to `target` according to `spec`.
template <typename S>
Status apply_key(const KeySpec<S>& spec, std::string_view full_key, const toml::node& node,
                 const std::string& source, S* target) {
  const int line = line_of(node);
  if (spec.type == KeyType::kInteger) {
    auto v = node.value_exact<int64_t>();
    if (!v) return key_error(source, line, full_key, "expected an integer");
    if (*v < spec.min || *v > spec.max) {
      return key_error(source, line, full_key,
                       std::to_string(*v) + " is out of range [" + std::to_string(spec.min) +
                           ", " + std::to_string(spec.max) + "]");
    }
    target->*std::get<int64_t S::*>(spec.field) = *v;
    return Status::ok();
  }
  if (spec.type == KeyType::kBoolean) {
    auto b = node.value_exact<bool>();
    if (!b) return key_error(source, line, full_key, "expected true or false");
    target->*std::get<bool S::*>(spec.field) = *b;
    return Status::ok();
  }
  auto v = node.value_exact<std::string>();
  if (!v) return key_error(source, line, full_key, "expected a string");
  if (!spec.choices.empty() && !in_choices(spec.choices, *v)) {
    return key_error(source, line, full_key,
                     "\"" + *v + "\" is not one of " + std::string(spec.choices));
  }
  target->*std::get<std::string S::*>(spec.field) = *v;
  return Status::ok();
}

template <typename S>
const KeySpec<S>* find_spec(std::span<const KeySpec<S>> specs, std::string_view key) {
  for (const auto& s : specs) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

Status check_server(const Config& c, const std::string& source, const toml::table& root) {
  auto line = [&](std::string_view path) {
    auto n = root.at_path(path);
    return n ? line_of(*n.node()) : 0;
  };
  const std::string& m = c.socket_mode;
  if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos) {
    return key_error(source, line("server.socket_mode"), "server.socket_mode",
                     "\"" + m + "\" is not an octal mode like \"0660\"");
  }
  if (c.socket.empty() || c.socket.size() >= 100) {
    return key_error(source, line("server.socket"), "server.socket",
                     "must be a path of 1 to 99 characters");
  }
  if (c.stream_socket.size() >= 100 || c.role_socket_path("stream", c.stream_socket).size() >= 100) {
    return key_error(source, line("stream.socket"), "stream.socket",
                     "must be a path of at most 99 characters");
  }
  if (c.role_socket_path("stream", c.stream_socket) == c.socket) {
    return key_error(source, line("stream.socket"), "stream.socket",
                     "must differ from server.socket");
  }
  const std::string transfer = c.role_socket_path("transfer", c.transfer_socket);
  if (transfer.size() >= 100) {
    return key_error(source, line("transfer.socket"), "transfer.socket",
                     "must be a path of at most 99 characters");
  }
  if (transfer == c.socket || transfer == c.role_socket_path("stream", c.stream_socket)) {
    return key_error(source, line("transfer.socket"), "transfer.socket",
                     "must differ from server.socket and stream.socket");
  }
  const std::string console = c.role_socket_path("console", c.stream_console_socket);
  if (console.size() >= 100) {
    return key_error(source, line("stream.console_socket"), "stream.console_socket",
                     "must be a path of at most 99 characters");
  }
  if (console == c.socket || console == c.role_socket_path("stream", c.stream_socket) || console == transfer) {
    return key_error(source, line("stream.console_socket"), "stream.console_socket",
                     "must differ from server.socket, stream.socket and transfer.socket");
  }
  if (c.data_dir.empty()) {
    return key_error(source, line("storage.data_dir"), "storage.data_dir", "must not be empty");
  }
  if (c.storage_backend == "postgresql" && c.storage_connection.empty()) {
    return key_error(source, line("storage.backend"), "storage.connection",
                     "is required with backend = \"postgresql\"");
  }
  return Status::ok();
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The first line of `file` (relative to the config's folder) into *password: a pool's
// password_file, storage.password_file.
Status read_password_file(const std::string& file, std::string* password, const std::string& source,
                          int line, const std::string& key) {
  std::string path = file;
  if (path[0] != '/') path = dir_of(source) + "/" + path;
  std::ifstream in(path);
  if (!in) return key_error(source, line, key, "cannot read \"" + path + "\"");
  std::getline(in, *password);
  if (!password->empty() && password->back() == '\r') password->pop_back();
  if (password->empty()) return key_error(source, line, key, "\"" + path + "\" is empty");
  return Status::ok();
}


Status check_pool(PoolConfig* pool, size_t index, const toml::table& table,
                  const std::string& source) {
  const std::string prefix = "pool[" + std::to_string(index) + "].";
  auto line = [&](std::string_view key) {
    const toml::node* n = table.get(key);
    return n ? line_of(*n) : pool->line;
  };
  if (pool->url.empty()) return key_error(source, pool->line, prefix + "url", "is required");
  if (pool->user.empty()) return key_error(source, pool->line, prefix + "user", "is required");
  if (pool->url.find("://") == std::string::npos) pool->url = "https://" + pool->url;
  if (pool->url.rfind("http://", 0) != 0 && pool->url.rfind("https://", 0) != 0) {
    return key_error(source, line("url"), prefix + "url", "must start with http:// or https://");
  }
  {
    // user:password@host would put the pool's password where URLs go (logs, /servers).
    const std::string rest = pool->url.substr(pool->url.find("://") + 3);
    if (rest.substr(0, rest.find('/')).find('@') != std::string::npos) {
      return key_error(source, line("url"), prefix + "url",
                       "must not carry credentials (user:password@); use user and password_file");
    }
  }
  const bool has_pw = table.contains("password"), has_file = table.contains("password_file");
  if (has_pw == has_file) {
    return key_error(source, pool->line, prefix + "password",
                     "give exactly one of password and password_file");
  }
  if (has_file) XR_RETURN_IF_ERROR(read_password_file(pool->password_file, &pool->password, source,
                                                      line("password_file"), prefix + "password_file"));
  if (pool->tls_mode() == TlsMode::kFingerprint && pool->fingerprint.empty()) {
    return key_error(source, line("tls"), prefix + "fingerprint",
                     "is required with tls = \"fingerprint\"");
  }
  if (!pool->fingerprint.empty() && pool->fingerprint.rfind("sha256//", 0) != 0) {
    return key_error(source, line("fingerprint"), prefix + "fingerprint",
                     "must be a public-key pin like sha256//BASE64");
  }
  if (pool->name.empty()) {
    std::string host = pool->url.substr(pool->url.find("://") + 3);
    pool->name = host.substr(0, host.find('/'));
  }
  return Status::ok();
}

Status load_pools(const toml::node& node, const std::string& source, Config* config) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) return key_error(source, line_of(node), "pool", "use [[pool]] tables");
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (t == nullptr) return key_error(source, line_of((*arr)[i]), "pool", "expected a table");
    PoolConfig pool;
    pool.line = line_of(*t);
    for (const auto& [k, v] : *t) {
      const std::string full = "pool[" + std::to_string(i) + "]." + std::string(k.str());
      const auto* spec = find_spec(pool_keys(), k.str());
      if (spec == nullptr) return key_error(source, line_of(v), full, "unknown key");
      XR_RETURN_IF_ERROR(apply_key(*spec, full, v, source, &pool));
    }
    XR_RETURN_IF_ERROR(check_pool(&pool, i, *t, source));
    for (const auto& other : config->pools) {
      if (other.name == pool.name) {
        return key_error(source, pool.line, "pool[" + std::to_string(i) + "].name",
                         "\"" + pool.name + "\" is used by two pools");
      }
    }
    config->pools.push_back(std::move(pool));
  }
  return Status::ok();
}

Status load_sections(const toml::table& root, const std::string& source, Config* config) {
  for (const auto& [section, node] : root) {
    if (section.str() == "pool") {
      XR_RETURN_IF_ERROR(load_pools(node, source, config));
      continue;
    }
    const toml::table* t = node.as_table();
    if (t == nullptr) return key_error(source, line_of(node), section.str(), "unknown key");
    for (const auto& [k, v] : *t) {
      const std::string full = std::string(section.str()) + "." + std::string(k.str());
      const auto* spec = find_spec(config_keys(), full);
      if (spec == nullptr) return key_error(source, line_of(v), full, "unknown key");
      XR_RETURN_IF_ERROR(apply_key(*spec, full, v, source, config));
    }
  }
  return Status::ok();
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Status(ErrorKind::kInvalidArgument,
                  source + ":" + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
  Config config;
  config.source = source;
  XR_RETURN_IF_ERROR(load_sections(root, source, &config));
  XR_RETURN_IF_ERROR(check_server(config, source, root));
  {
    auto n = root.at_path("storage.password_file");
    if (!config.storage_password_file.empty()) {
      XR_RETURN_IF_ERROR(read_password_file(config.storage_password_file, &config.storage_password, source,
                                            n ? line_of(*n.node()) : 0, "storage.password_file"));
    }
  }
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(ErrorKind::kIo, path + ": cannot open the config file");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), path);
}

}  // namespace xr::config

// The xapi-rest configuration as plain data. Filled and validated by load_config()
// (loader.h) in the master before any fork; children get a copy. Any thread, read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xr::config {

enum class TlsMode { kVerify, kFingerprint, kInsecure };

// One XAPI pool to connect to ([[pool]] in the file). Defaults: see schema.cpp.
struct PoolConfig {
  std::string name;           // label used in logs and /servers; defaults to the url's host
  std::string url;            // https://host[:port] (a bare host name gets https://)
  std::string user;
  std::string password;       // from `password`, or read from `password_file`
  std::string password_file;
  std::string tls = "verify";  // verify | fingerprint | insecure
  std::string ca;             // CA bundle for tls = verify (empty: the system's)
  std::string fingerprint;    // "sha256//BASE64" public-key pin for tls = fingerprint
  int64_t connect_timeout = 10;  // seconds (TCP + TLS)
  int64_t login_timeout = 15;    // seconds (session.login_with_password)
  int line = 0;               // line of the [[pool]] header, for messages
  // Servers added over REST (POST /servers, kept in the database with their password
  // encrypted) are merged in by the master after loading the file: `name` is then the
  // server's id, `label` its label. Pools of the file are always enabled and writable.
  std::string label;          // "" = name
  bool enabled = true;        // false: disconnected (XO's connect / disconnect)
  bool read_only = false;     // every mutation and action refused (403)
  bool from_store = false;    // added over REST (false: the config file's)

  TlsMode tls_mode() const;
};

struct Config {
  // [server]
  std::string socket = "/run/xapi-rest/fcgi.sock";
  std::string socket_mode = "0660";
  int64_t backlog = 1024;
  int64_t workers = 2;
  int64_t threads = 8;
  int64_t shutdown_timeout = 10;     // seconds
  int64_t restart_backoff_max = 30;  // seconds
  int64_t filter_match_budget = 10'000'000;  // PCRE2 match steps per request (filter regexes)
  int64_t filter_time_budget_ms = 5000;      // filtering time per request
  // [storage]
  std::string data_dir = "/var/lib/xapi-rest";
  std::string storage_backend = "sqlite";  // "sqlite" | "postgresql"
  std::string storage_connection;          // libpq connection string (postgresql)
  std::string storage_password_file;       // read at load into storage_password
  std::string storage_password;            // not a key: from storage_password_file
  std::string secret_key_file;             // "" = <data_dir>/secret.key (secret_key_path())
  // [cache]
  int64_t cache_size_mb = 256;
  std::string list_dir;         // "" = list_dir_path()'s default
  int64_t list_files_mb = 256;  // 0: no list files (fcgi-app/worker/list_files.h)
  // [poller]
  int64_t retry_max = 30;  // seconds
  int64_t event_timeout = 60;  // seconds: event.from's wait
  // [auth]
  int64_t token_validity_days = 30;
  int64_t session_validity_hours = 12;  // web sessions (POST /signin)
  // [tasks]
  int64_t tasks_gc_keep = 1000;  // finished XO tasks kept (newest first)
  // [log]
  std::string log_level = "info";
  // [audit]
  std::string audit_path;  // "" = <data_dir>/audit.log (audit_file())
  bool audit_journal = false;  // true: to systemd-journald instead of the file
  std::string audit_journal_socket = "/run/systemd/journal/socket";  // journald's native socket
  // [limits] (per token, or per user for HTTP Basic; 0 = unlimited)
  int64_t limits_mutations_per_minute = 300;
  int64_t limits_actions_per_minute = 120;
  int64_t limits_burst = 30;
  // [mcp]
  bool mcp_enabled = true;  // false: XO's MCP kill switch (503 mcp_disabled)
  // [stream]
  std::string stream_socket;               // "" = role_socket_path("stream", "")
  int64_t stream_client_buffer_kb = 1024;  // unsent bytes per stream before it is dropped
  std::string stream_console_socket;       // "" = role_socket_path("console", "")
  int64_t stream_max_consoles = 64;        // consoles open at once; beyond: 503
  // [transfer]
  std::string transfer_spool_dir = "/var/spool/xapi-rest/uploads";  // nginx's client_body_temp_path
  int64_t transfer_max_concurrent = 4;  // exports + imports at once; beyond: 503 + Retry-After
  std::string transfer_socket;          // "" = role_socket_path("transfer", "")
  bool transfer_accel_redirect = false;  // raw exports: nginx proxies XAPI (X-Accel-Redirect)
  int64_t transfer_uploads_max = 16;        // open resumable uploads at once
  int64_t transfer_upload_expiry_s = 86400;  // a resumable upload is removed this long after creation

  // [cluster] (several nodes on one PostgreSQL store)
  std::string cluster_node;    // "" = node_name()'s default
  int64_t cluster_lease = 15;  // seconds

  std::vector<PoolConfig> pools;
  std::string source;  // the file it was read from
  // Not a key: the store's servers revision the pools were merged with (lib/servers; -1
  // before any merge). A node reloads when the store's moves past it (another node's change).
  int64_t servers_revision = -1;

  // The key file of the stored servers' passwords (lib/servers/secret_box.h).
  std::string secret_key_path() const { return secret_key_file.empty() ? data_dir + "/secret.key" : secret_key_file; }
  // socket_mode as a number (validated to parse as octal).
  unsigned socket_mode_bits() const;
  // The audit log's file: audit.path, else <data_dir>/audit.log.
  std::string audit_file() const { return audit_path.empty() ? data_dir + "/audit.log" : audit_path; }
  // <data_dir>/xapi-rest.db
  std::string database_path() const;
  // cluster.node, else "<host name>:<server.socket>" (unique per node, also for several
  // nodes on one machine). Never contains '|'.
  std::string node_name() const;
  // Several nodes may share the store (backend = "postgresql").
  bool shared_store() const { return storage_backend == "postgresql"; }
  // The FastCGI socket of a role that has its own (the master's socket table): `configured`
  // when set, else "<folder of server.socket>/<role>.sock".
  std::string role_socket_path(std::string_view role, const std::string& configured) const;
  // cache.list_dir, else "<folder of server.socket>/lists".
  std::string list_dir_path() const;

};

}  // namespace xr::config

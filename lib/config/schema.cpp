#include "config/schema.h"

#include <array>

namespace xr::config {
namespace {

using K = KeySpec<Config>;
using P = KeySpec<PoolConfig>;
constexpr int64_t kMaxSeconds = 3600;

const std::array kConfigKeys = {
    K{"server.socket", KeyType::kString, "/run/xapi-rest/fcgi.sock", 0, 0, "",
      "FastCGI unix socket that nginx connects to", &Config::socket},
    K{"server.socket_mode", KeyType::kString, "0660", 0, 0, "",
      "permission bits of the socket (octal string); nginx's workers must be able to connect",
      &Config::socket_mode},
    K{"server.backlog", KeyType::kInteger, "1024", 16, 65535, "",
      "listen backlog of the socket", &Config::backlog},
    K{"server.workers", KeyType::kInteger, "2", 1, 64, "",
      "number of worker processes", &Config::workers},
    K{"server.threads", KeyType::kInteger, "8", 1, 256, "",
      "request threads per worker process", &Config::threads},
    K{"server.shutdown_timeout", KeyType::kInteger, "10", 1, kMaxSeconds, "",
      "seconds given to in-flight requests on stop before children are killed",
      &Config::shutdown_timeout},
    K{"server.restart_backoff_max", KeyType::kInteger, "30", 1, kMaxSeconds, "",
      "longest wait, in seconds, before restarting a child that keeps crashing",
      &Config::restart_backoff_max},
    K{"server.filter_match_budget", KeyType::kInteger, "10000000", 1000, 1000000000000, "",
      "PCRE2 match steps the regular expressions of one request's filter may spend, summed "
      "over its tests; beyond: 400",
      &Config::filter_match_budget},
    K{"server.filter_time_budget_ms", KeyType::kInteger, "5000", 1, 3600000, "",
      "milliseconds one request may spend filtering a list; beyond: 503",
      &Config::filter_time_budget_ms},
    K{"storage.data_dir", KeyType::kString, "/var/lib/xapi-rest", 0, 0, "",
      "directory of the SQLite database (users, tokens, XO tasks); with PostgreSQL it only "
      "holds node-local files",
      &Config::data_dir},
    K{"storage.backend", KeyType::kString, "sqlite", 0, 0, "sqlite|postgresql",
      "the durable store: sqlite (one node, embedded) or postgresql (shared by several nodes)",
      &Config::storage_backend},
    K{"storage.connection", KeyType::kString, "", 0, 0, "",
      "PostgreSQL connection string (\"host=db1 dbname=xapi_rest user=xapi_rest\" or a "
      "postgresql:// URI); required with backend = \"postgresql\"",
      &Config::storage_connection},
    K{"storage.password_file", KeyType::kString, "", 0, 0, "",
      "file whose first line is the PostgreSQL password (keeps it out of the connection "
      "string); relative to the config file",
      &Config::storage_password_file},
    K{"storage.secret_key_file", KeyType::kString, "", 0, 0, "",
      "file of the key encrypting the passwords of servers added over REST (32 bytes, 0600, "
      "created at start when missing); \"\" = secret.key in data_dir. Keep it out of database backups; "
      "the nodes of one shared store need the same key (copy the file)",
      &Config::secret_key_file},
    K{"cache.size_mb", KeyType::kInteger, "256", 1, 1 << 20, "",
      "size of the shared object cache in MiB; a full cache is reported as an error",
      &Config::cache_size_mb},
    K{"cache.list_dir", KeyType::kString, "", 0, 0, "",
      "folder (a tmpfs) of the rendered lists nginx sends itself (X-Accel-Redirect to its "
      "internal /_xr_list/ location, whose alias must name this folder); \"\" = lists in the "
      "folder of server.socket",
      &Config::list_dir},
    K{"cache.list_files_mb", KeyType::kInteger, "256", 0, 1 << 20, "",
      "MiB of rendered lists kept at once (one file per list request and cache generation); "
      "beyond, and with 0, lists go through the FastCGI socket",
      &Config::list_files_mb},
    K{"poller.retry_max", KeyType::kInteger, "30", 1, kMaxSeconds, "",
      "longest wait, in seconds, between reconnection attempts to an unreachable pool",
      &Config::retry_max},
    K{"poller.event_timeout", KeyType::kInteger, "60", 1, kMaxSeconds, "",
      "seconds each event.from long poll waits for changes (XO's 60); a pool whose event.from "
      "is unanswered 5 s past it is reported disconnected (its objects then carry X-Data-Age)",
      &Config::event_timeout},
    K{"auth.token_validity_days", KeyType::kInteger, "30", 1, 183, "",
      "validity of a new token when none is asked for (at most half a year, like XO)",
      &Config::token_validity_days},
    K{"auth.session_validity_hours", KeyType::kInteger, "12", 1, 4392, "",
      "validity of a web session (the token POST /signin puts in the authenticationToken "
      "cookie), in hours",
      &Config::session_validity_hours},
    K{"tasks.gc_keep", KeyType::kInteger, "1000", 1, 1000000, "",
      "finished XO tasks kept in the database (the newest; older ones are deleted, as XO's "
      "tasks.gc.keep)",
      &Config::tasks_gc_keep},
    K{"log.level", KeyType::kString, "info", 0, 0, "debug|info|warn|error",
      "lowest level written to stderr", &Config::log_level},
    K{"audit.path", KeyType::kString, "", 0, 0, "",
      "file of the audit log: one JSON line per change, action and failed login (README, "
      "\"Audit log\"); empty: audit.log in storage.data_dir",
      &Config::audit_path},
    K{"audit.journal", KeyType::kBoolean, "false", 0, 0, "",
      "true: each audit record goes to systemd-journald (native protocol, SYSLOG_IDENTIFIER="
      "xapi-rest-audit, the JSON line as MESSAGE) instead of audit.path",
      &Config::audit_journal},
    K{"audit.journal_socket", KeyType::kString, "/run/systemd/journal/socket", 0, 0, "",
      "journald's native datagram socket (audit.journal)", &Config::audit_journal_socket},
    K{"limits.mutations_per_minute", KeyType::kInteger, "300", 0, 60000, "",
      "changes of pool objects (PATCH, PUT, DELETE, POST creations and imports) per minute and "
      "token (per user for HTTP Basic); beyond: 429 with Retry-After; 0: unlimited",
      &Config::limits_mutations_per_minute},
    K{"limits.actions_per_minute", KeyType::kInteger, "120", 0, 60000, "",
      "actions (POST .../actions/<name>) per minute and token (per user for HTTP Basic); "
      "beyond: 429 with Retry-After; 0: unlimited",
      &Config::limits_actions_per_minute},
    K{"limits.burst", KeyType::kInteger, "30", 1, 10000, "",
      "requests of each kind a token may make at once after a quiet time, before the per-minute "
      "rate applies",
      &Config::limits_burst},
    K{"mcp.enabled", KeyType::kBoolean, "true", 0, 0, "",
      "let XO's MCP server (@xen-orchestra/mcp) use the API; false answers 503 mcp_disabled to "
      "/rest/v0/mcp/status and to every request carrying X-XO-Client: mcp",
      &Config::mcp_enabled},
    K{"stream.socket", KeyType::kString, "", 0, 0, "",
      "FastCGI unix socket of the stream role (watch, server-sent events, long waits); empty: "
      "stream.sock in the folder of server.socket",
      &Config::stream_socket},
    K{"stream.client_buffer_kb", KeyType::kInteger, "1024", 16, 1 << 20, "",
      "KiB of events a stream may have waiting for a slow client before it is disconnected",
      &Config::stream_client_buffer_kb},
    K{"stream.console_socket", KeyType::kString, "", 0, 0, "",
      "plain-HTTP unix socket of the stream role for VM consoles (WebSocket /api/consoles/<vm>, "
      "proxied by nginx); empty: console.sock in the folder of server.socket",
      &Config::stream_console_socket},
    K{"stream.max_consoles", KeyType::kInteger, "64", 1, 4096, "",
      "VM consoles open at once (one thread each); more are refused with 503",
      &Config::stream_max_consoles},
    K{"transfer.spool_dir", KeyType::kString, "/var/spool/xapi-rest/uploads", 0, 0, "",
      "where nginx writes upload bodies (its client_body_temp_path on the upload locations); "
      "an upload file named anywhere else is refused",
      &Config::transfer_spool_dir},
    K{"transfer.max_concurrent", KeyType::kInteger, "4", 1, 1024, "",
      "exports and imports running at once (all processes); more are refused with 503 and "
      "Retry-After",
      &Config::transfer_max_concurrent},
    K{"transfer.socket", KeyType::kString, "", 0, 0, "",
      "FastCGI unix socket of the transfer role (exports and imports); empty: transfer.sock in "
      "the folder of server.socket",
      &Config::transfer_socket},
    K{"transfer.accel_redirect", KeyType::kBoolean, "false", 0, 0, "",
      "full raw disk exports are streamed by nginx straight from XAPI (X-Accel-Redirect to its "
      "internal /_xr_xapi/ location) instead of through xapi-rest, with the VDI's size as "
      "Content-Length (a transfer cut by XAPI is a short body)",
      &Config::transfer_accel_redirect},
    K{"transfer.uploads_max", KeyType::kInteger, "16", 1, 4096, "",
      "resumable uploads (POST /rest/v0/uploads, tus 1.0.0) open at once; more are refused "
      "with 503 and Retry-After",
      &Config::transfer_uploads_max},
    K{"transfer.upload_expiry_s", KeyType::kInteger, "86400", 1, 2592000, "",
      "seconds after its creation when a resumable upload and its bytes (data_dir/uploads) "
      "are removed, complete or not",
      &Config::transfer_upload_expiry_s},
    K{"cluster.node", KeyType::kString, "", 0, 0, "",
      "this node's name among the nodes sharing a PostgreSQL store (its running actions and "
      "lease); empty: <host name>:<server.socket>",
      &Config::cluster_node},
    K{"cluster.lease", KeyType::kInteger, "15", 2, 600, "",
      "seconds without a heartbeat after which another node interrupts this node's running "
      "actions (postgresql backend)",
      &Config::cluster_lease},
};

const std::array kPoolKeys = {
    P{"name", KeyType::kString, "", 0, 0, "", "label used in logs and /rest/v0/servers",
      &PoolConfig::name},
    P{"url", KeyType::kString, "", 0, 0, "",
      "address of the pool master: https://host[:port] or a bare host name (required)",
      &PoolConfig::url},
    P{"user", KeyType::kString, "", 0, 0, "", "XAPI user name (required)", &PoolConfig::user},
    P{"password", KeyType::kString, "", 0, 0, "",
      "XAPI password (or password_file; exactly one of them)", &PoolConfig::password},
    P{"password_file", KeyType::kString, "", 0, 0, "",
      "file whose first line is the XAPI password", &PoolConfig::password_file},
    P{"tls", KeyType::kString, "verify", 0, 0, "verify|fingerprint|insecure",
      "how the pool's certificate is checked", &PoolConfig::tls},
    P{"ca", KeyType::kString, "", 0, 0, "",
      "CA bundle used with tls = \"verify\" (default: the system's)", &PoolConfig::ca},
    P{"fingerprint", KeyType::kString, "", 0, 0, "",
      "pinned public key of the pool's certificate as sha256//BASE64, for tls = \"fingerprint\"",
      &PoolConfig::fingerprint},
    P{"connect_timeout", KeyType::kInteger, "10", 1, 600, "",
      "seconds to establish the TCP (and TLS) connection to a host of the pool",
      &PoolConfig::connect_timeout},
    P{"login_timeout", KeyType::kInteger, "15", 1, 600, "",
      "seconds a login may wait for its answer (other calls have 120 s; a whole-pool dump ends only after 30 s without a byte)",
      &PoolConfig::login_timeout},
};

}  // namespace

std::span<const KeySpec<Config>> config_keys() { return kConfigKeys; }
std::span<const KeySpec<PoolConfig>> pool_keys() { return kPoolKeys; }

}  // namespace xr::config

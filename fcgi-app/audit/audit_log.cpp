#include "audit/audit_log.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/log.h"
#include "base/utf8.h"

namespace xr::app {

namespace {

const log::Logger kLog("audit");

std::string iso_ms(int64_t unix_ms) {
  const time_t s = static_cast<time_t>(unix_ms / 1000);
  tm utc{};
  gmtime_r(&s, &utc);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return buf;
}

const char* result_of(int status) { return status < 300 ? "success" : status < 500 ? "refused" : "failed"; }

int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// One field of journald's native protocol: KEY=VALUE\n, or, for a value holding a newline,
// KEY\n + its length (64-bit little endian) + the value + \n. Empty values are left out.
void journal_field(std::string* out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out->append(key);
  if (value.find('\n') == std::string_view::npos) {
    out->append("=").append(value).append("\n");
    return;
  }
  out->push_back('\n');
  uint64_t n = value.size();
  for (int i = 0; i < 8; ++i, n >>= 8) out->push_back(static_cast<char>(n & 0xff));
  out->append(value).push_back('\n');
}

// Logs a lost audit record once per process and destination kind.
void warn_once(std::atomic<bool>& warned, const std::string& what) {
  if (!warned.exchange(true)) kLog.error(what + " (audit lines are being lost)");
}

}  // namespace

std::string audit_line(const AuditRecord& r, int64_t unix_ms) {
  rapidjson::StringBuffer b;
  // ASCII only: control and non-ASCII characters as \uXXXX; invalid UTF-8 (a path, a user
  // name tried) was replaced by U+FFFD first, never written raw.
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>> w(b);
  w.StartObject();
  w.Key("time");
  const std::string t = iso_ms(unix_ms);
  w.String(t.c_str(), static_cast<rapidjson::SizeType>(t.size()));
  auto s = [&](const char* k, const std::string& v) {  // "" is written as null (unknown, none)
    w.Key(k);
    if (v.empty()) {
      w.Null();
    } else {
      const std::string valid = to_valid_utf8(v);
      w.String(valid.c_str(), static_cast<rapidjson::SizeType>(valid.size()));
    }
  };
  s("event", r.event);
  s("user", r.user);
  s("userId", r.user_id);
  s("tokenId", r.token_id);
  s("address", r.address);
  s("method", r.method);
  s("route", r.route);
  s("object", r.object);
  w.Key("status");
  w.Int(r.status);
  w.Key("result");
  w.String(result_of(r.status));
  s("taskId", r.task_id);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

void write_audit(const std::string& path, const AuditRecord& r) {
  if (path.empty()) return;
  const std::string line = audit_line(r, now_unix_ms()) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  if (fd >= 0) ::close(fd);
  static std::atomic<bool> warned{false};
  if (!written) warn_once(warned, "cannot append to the audit log " + path);
}

std::string journal_datagram(const AuditRecord& r, int64_t unix_ms) {
  std::string d;
  journal_field(&d, "MESSAGE", audit_line(r, unix_ms));
  journal_field(&d, "SYSLOG_IDENTIFIER", "xapi-rest-audit");
  const bool bad = r.status >= 500 || r.event == "login_failed";
  journal_field(&d, "PRIORITY", r.status < 300 && !bad ? "6" : bad ? "4" : "5");
  journal_field(&d, "XR_AUDIT_EVENT", r.event);
  journal_field(&d, "XR_AUDIT_RESULT", result_of(r.status));
  journal_field(&d, "XR_AUDIT_STATUS", std::to_string(r.status));
  // The JSON line escapes what it must; the fields carry the same values as valid UTF-8.
  const std::pair<const char*, const std::string*> fields[] = {
      {"XR_AUDIT_USER", &r.user},       {"XR_AUDIT_USER_ID", &r.user_id}, {"XR_AUDIT_TOKEN_ID", &r.token_id},
      {"XR_AUDIT_ADDRESS", &r.address}, {"XR_AUDIT_METHOD", &r.method},   {"XR_AUDIT_ROUTE", &r.route},
      {"XR_AUDIT_OBJECT", &r.object},   {"XR_AUDIT_TASK_ID", &r.task_id}};
  for (const auto& [key, value] : fields) journal_field(&d, key, to_valid_utf8(*value));
  return d;
}

void send_audit_to_journal(const std::string& socket_path, const AuditRecord& r) {
  static std::atomic<bool> warned{false};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return warn_once(warned, "audit.journal_socket is not a usable socket path");
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const std::string d = journal_datagram(r, now_unix_ms());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const bool sent = fd >= 0 && ::sendto(fd, d.data(), d.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                                        sizeof addr) == static_cast<ssize_t>(d.size());
  const int err = errno;
  if (fd >= 0) ::close(fd);
  if (!sent) warn_once(warned, "cannot send to the journal socket " + socket_path + ": " + std::strerror(err));
}

void write_audit(const config::Config& config, const AuditRecord& r) {
  if (config.audit_journal) return send_audit_to_journal(config.audit_journal_socket, r);
  write_audit(config.audit_file(), r);
}

}  // namespace xr::app

#include "audit/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

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
  using namespace std::chrono;
  const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::string line = audit_line(r, now) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  if (fd >= 0) ::close(fd);
  static std::atomic<bool> warned{false};
  if (!written && !warned.exchange(true)) {
    kLog.error("cannot append to the audit log " + path + " (audit lines are being lost)");
  }
}

}  // namespace xr::app

#include "base/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace xr::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_role_mu;
std::string g_role = "xapi-rest";  // guarded by g_role_mu

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}
// systemd's test: stderr is the journal when its device and inode are $JOURNAL_STREAM's.
bool stderr_is_journal() {
  static const bool journal = [] {
    const char* env = std::getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    struct stat st {};
    if (env == nullptr || std::sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0) {
      return false;
    }
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
  }();
  return journal;
}
}  // namespace

bool parse_level(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == level_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void set_level(Level l) { g_level.store(static_cast<int>(l)); }
Level level() { return static_cast<Level>(g_level.load()); }

void set_role(std::string role) {
  std::lock_guard lock(g_role_mu);
  g_role = std::move(role);
}

std::string format_line(Level l, std::string_view role, int pid, std::string_view component,
                        std::string_view message, bool journal, std::time_t now) {
  std::string line;
  line.reserve(64 + message.size());
  if (journal) {
    static constexpr char kPriority[] = {'7', '6', '4', '3'};  // debug info warn error
    line += '<';
    line += kPriority[static_cast<int>(l)];
    line += '>';
  } else {
    char stamp[32];
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    line += stamp;
    line += ' ';
  }
  line += '[';
  line += role;
  line += " pid ";
  line += std::to_string(pid);
  line += "] ";
  line += level_name(l);
  line += ' ';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  return line;
}

void write(Level l, std::string_view component, std::string_view message) {
  if (static_cast<int>(l) < g_level.load()) return;
  std::string role;
  {
    std::lock_guard lock(g_role_mu);
    role = g_role;
  }
  std::string line = format_line(l, role, getpid(), component, message, stderr_is_journal(), std::time(nullptr));
  // One write so lines from several processes do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace xr::log

// Logging: one line per event to stderr, tagged with the process role and pid
// ("[worker 3 pid 1234] cache: ..."). Any thread; a line is written with one write(2).
// Never pass passwords, tokens or XAPI session ids to it.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace xr::log {

enum class Level { kDebug = 0, kInfo, kWarn, kError };

// Parses "debug" | "info" | "warn" | "error"; false if unknown.
bool parse_level(std::string_view text, Level* out);
void set_level(Level level);
Level level();
// Sets the role tag of this process ("master", "poller", "worker 3"); call after fork.
void set_role(std::string role);

void write(Level level, std::string_view component, std::string_view message);
// One line as write() sends it. For the journal (stderr is the journal stream that systemd
// names in $JOURNAL_STREAM) the line starts with the syslog priority ("<6>", which journald
// reads as the level) and has no timestamp (journald stamps it); otherwise an ISO time.
// Either way "[role pid N] level component: message".
std::string format_line(Level level, std::string_view role, int pid, std::string_view component,
                        std::string_view message, bool journal, std::time_t now);

// A named logger for one component: Logger kLog("cache"); kLog.info("...").
class Logger {
 public:
  explicit constexpr Logger(std::string_view component) : component_(component) {}
  void debug(std::string_view m) const { write(Level::kDebug, component_, m); }
  void info(std::string_view m) const { write(Level::kInfo, component_, m); }
  void warn(std::string_view m) const { write(Level::kWarn, component_, m); }
  void error(std::string_view m) const { write(Level::kError, component_, m); }
  bool enabled(Level l) const { return l >= level(); }

 private:
  std::string_view component_;
};

}  // namespace xr::log

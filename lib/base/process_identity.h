// Names of processes that survive pid reuse ("<pid>:<start time>"), and whether the process a
// name was taken from still runs. Any thread; reads /proc.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace xr {

// The start time of process `pid` in clock ticks (field 22 of /proc/<pid>/stat), "" if none.
std::string process_start_time(pid_t pid);
// "<pid>:<start time>".
std::string process_identity(pid_t pid);
// Whether the process named by process_identity() still runs (on this machine).
bool process_alive(std::string_view identity);

}  // namespace xr

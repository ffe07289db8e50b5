#include "base/process_identity.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

namespace xr {

std::string process_start_time(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos || paren + 2 > stat.size()) return {};
  std::istringstream rest(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return {};
}

std::string process_identity(pid_t pid) { return std::to_string(pid) + ":" + process_start_time(pid); }

bool process_alive(std::string_view identity) {
  const size_t colon = identity.find(':');
  if (colon == std::string_view::npos) return false;
  const pid_t pid = static_cast<pid_t>(std::atoi(std::string(identity.substr(0, colon)).c_str()));
  return pid > 0 && process_identity(pid) == identity;
}

}  // namespace xr

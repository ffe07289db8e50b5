#include "base/log.h"

#include <boost/test/unit_test.hpp>

using xr::log::Level;

BOOST_AUTO_TEST_CASE(line_for_a_terminal_has_the_time_role_and_pid) {
  const std::string line = xr::log::format_line(Level::kWarn, "worker 2", 4242, "poller", "pool x unreachable",
                                                false, 1796523600);  // 2026-12-06T02:20:00Z
  BOOST_TEST(line == "2026-12-06T02:20:00Z [worker 2 pid 4242] warn poller: pool x unreachable\n");
}

BOOST_AUTO_TEST_CASE(line_for_the_journal_has_the_syslog_priority_and_no_time) {
  BOOST_TEST(xr::log::format_line(Level::kError, "master", 1, "supervisor", "m", true, 0) ==
             "<3>[master pid 1] error supervisor: m\n");
  BOOST_TEST(xr::log::format_line(Level::kInfo, "poller", 7, "c", "m", true, 0).substr(0, 3) == "<6>");
  BOOST_TEST(xr::log::format_line(Level::kDebug, "poller", 7, "c", "m", true, 0).substr(0, 3) == "<7>");
  BOOST_TEST(xr::log::format_line(Level::kWarn, "poller", 7, "c", "m", true, 0).substr(0, 3) == "<4>");
}

#include "audit/audit_log.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace xr;
using namespace xr::app;

namespace {

AuditRecord change() {
  AuditRecord r;
  r.event = "request";
  r.user = "admin";
  r.token_id = "abcdefghijklmnop";
  r.address = "192.0.2.7";
  r.method = "PATCH";
  r.route = "/rest/v0/vms/{id}";
  r.object = "0e2f4c8a-0000-4000-8000-000000000001";
  r.status = 204;
  return r;
}

constexpr int64_t kTime = 1'796'000'000'123;  // 2026-11-29T...

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_log)

BOOST_AUTO_TEST_CASE(journal_datagram_is_key_value_lines_with_the_json_line_as_message) {
  const AuditRecord r = change();
  const std::string d = journal_datagram(r, kTime);
  BOOST_TEST(d.find("MESSAGE=" + audit_line(r, kTime) + "\n") == 0u);
  BOOST_TEST(d.find("\nSYSLOG_IDENTIFIER=xapi-rest-audit\n") != std::string::npos);
  BOOST_TEST(d.find("\nPRIORITY=6\n") != std::string::npos);
  BOOST_TEST(d.find("\nXR_AUDIT_ROUTE=/rest/v0/vms/{id}\n") != std::string::npos);
  BOOST_TEST(d.find("\nXR_AUDIT_STATUS=204\n") != std::string::npos);
  BOOST_TEST(d.find("XR_AUDIT_TASK_ID") == std::string::npos);  // empty: left out
  BOOST_TEST(d.back() == '\n');
}

BOOST_AUTO_TEST_CASE(journal_priority_follows_the_result) {
  AuditRecord r = change();
  r.status = 403;
  BOOST_TEST(journal_datagram(r, kTime).find("\nPRIORITY=5\n") != std::string::npos);
  r.status = 500;
  BOOST_TEST(journal_datagram(r, kTime).find("\nPRIORITY=4\n") != std::string::npos);
  r.status = 401;
  r.event = "login_failed";
  BOOST_TEST(journal_datagram(r, kTime).find("\nPRIORITY=4\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(journal_value_with_a_newline_is_length_prefixed_and_adds_no_field) {
  AuditRecord r = change();
  r.user = "eve\nPRIORITY=0";
  const std::string d = journal_datagram(r, kTime);
  const std::string want = std::string("\nXR_AUDIT_USER\n") + std::string("\x0e\0\0\0\0\0\0\0", 8) + r.user + "\n";
  BOOST_TEST(d.find(want) != std::string::npos);
  BOOST_TEST(d.find("\\nPRIORITY=0") != std::string::npos);  // escaped inside MESSAGE's JSON
}

BOOST_AUTO_TEST_SUITE_END()

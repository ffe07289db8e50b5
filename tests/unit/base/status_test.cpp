#include "base/status.h"

#include <boost/test/unit_test.hpp>

namespace {

xr::Result<int> parse_positive(int v) {
  if (v <= 0) return xr::Status(xr::ErrorKind::kInvalidArgument, "not positive");
  return v;
}

xr::Result<int> doubled(int v) {
  XR_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(status)

BOOST_AUTO_TEST_CASE(default_status_is_ok) {
  xr::Status s;
  BOOST_TEST(s.is_ok());
  BOOST_TEST(s.to_string() == "ok");
}

BOOST_AUTO_TEST_CASE(xapi_error_keeps_code_and_params) {
  auto s = xr::Status::xapi("VM_BAD_POWER_STATE", {"OpaqueRef:1", "halted", "running"});
  BOOST_TEST(!s.is_ok());
  BOOST_TEST(s.kind() == xr::ErrorKind::kXapi);
  BOOST_TEST(s.code() == "VM_BAD_POWER_STATE");
  BOOST_TEST(s.params().size() == 3u);
  BOOST_TEST(s.to_string() == "xapi error: VM_BAD_POWER_STATE(OpaqueRef:1, halted, running)");
}

BOOST_AUTO_TEST_CASE(assign_or_return_propagates_the_error) {
  BOOST_TEST(doubled(4).value() == 8);
  auto r = doubled(-1);
  BOOST_TEST(!r.is_ok());
  BOOST_TEST(r.status().message() == "not positive");
}

BOOST_AUTO_TEST_CASE(context_is_prefixed) {
  xr::Status s(xr::ErrorKind::kIo, "no such file");
  BOOST_TEST(s.with_context("reading config").message() == "reading config: no such file");
}

BOOST_AUTO_TEST_SUITE_END()

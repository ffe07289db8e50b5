#include "xapi/value.h"

#include <boost/test/unit_test.hpp>

using xr::xapi::Value;

BOOST_AUTO_TEST_SUITE(value)

BOOST_AUTO_TEST_CASE(untyped_int_string_reads_as_int) {
  BOOST_TEST(Value::string("4294967296").as_int().value() == 4294967296LL);
  BOOST_TEST(Value::integer(-1).as_int().value() == -1);
  BOOST_TEST(!Value::string("12ab").as_int().is_ok());
  BOOST_TEST(!Value::string("").as_int().is_ok());
}

BOOST_AUTO_TEST_CASE(type_mismatch_names_both_types) {
  auto r = Value::boolean(true).as_string();
  BOOST_TEST(!r.is_ok());
  BOOST_TEST(r.status().message() == "expected string, got boolean");
}

BOOST_AUTO_TEST_CASE(struct_lookup) {
  Value rec = Value::structure();
  rec.add_member("name_label", Value::string("vm1"));
  rec.add_member("VCPUs_max", Value::string("4"));
  BOOST_TEST(rec.get_string("name_label") == "vm1");
  BOOST_TEST(rec.get("VCPUs_max")->as_int().value() == 4);
  BOOST_TEST(rec.get("missing") == nullptr);
  BOOST_TEST(Value::string("x").get("a") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

#include "auth/token_scope.h"

#include <boost/test/unit_test.hpp>

using namespace xr;
using namespace xr::auth;

namespace {

TokenScope parsed(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  auto s = scope_from_json(d);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().message());
  return *s;
}

Status refusal(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return scope_from_json(d).status();
}

constexpr const char* kPool = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

}  // namespace

BOOST_AUTO_TEST_SUITE(token_scope)

BOOST_AUTO_TEST_CASE(round_trips_through_its_stored_text) {
  TokenScope s = parsed(R"({"readOnly":true,"pools":["0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"],"collections":["vms"]})");
  BOOST_TEST(s.read_only);
  BOOST_TEST(scope_to_json(s) == R"({"readOnly":true,"pools":[")" + std::string(kPool) + R"("],"collections":["vms"]})");
  auto again = scope_from_text(scope_to_json(s));
  BOOST_REQUIRE(again.is_ok());
  BOOST_TEST(scope_to_json(*again) == scope_to_json(s));
  BOOST_TEST(parsed(R"({"read_only":true})").read_only);
}

BOOST_AUTO_TEST_CASE(a_typo_or_an_empty_list_is_refused_never_read_as_everything) {
  for (const char* bad : {R"({"colections":["vms"]})", R"({"pools":[]})", R"({"pools":["abc"]})",
                          R"({"collections":["vms/x"]})", R"({"actions":["a/b/c"]})", R"({"readOnly":1})",
                          R"({"collections":"vms"})", R"([])"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST((refusal(bad).kind() == ErrorKind::kInvalidArgument)); }
  }
  BOOST_TEST(refusal(R"({"colections":["vms"]})").message().find("colections") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(actions_match_bare_or_collection_qualified) {
  TokenScope s = parsed(R"({"actions":["snapshot","vms/start"]})");
  BOOST_TEST(s.allows_action("vms", "snapshot"));
  BOOST_TEST(s.allows_action("hosts", "snapshot"));
  BOOST_TEST(s.allows_action("vms", "start"));
  BOOST_TEST(!s.allows_action("hosts", "start"));
  BOOST_TEST(TokenScope{}.allows_action("hosts", "reboot"));
}

BOOST_AUTO_TEST_CASE(covers_only_what_narrows) {
  const TokenScope none{};
  const TokenScope vms = parsed(R"({"collections":["vms"]})");
  const TokenScope vms_ro = parsed(R"({"collections":["vms"],"readOnly":true})");
  const TokenScope vms_hosts = parsed(R"({"collections":["vms","hosts"]})");
  const TokenScope snap = parsed(R"({"actions":["snapshot"]})");
  BOOST_TEST(none.covers(vms));
  BOOST_TEST(vms.covers(vms_ro));
  BOOST_TEST(!vms_ro.covers(vms));
  BOOST_TEST(!vms.covers(vms_hosts));
  BOOST_TEST(!vms.covers(none));
  BOOST_TEST(snap.covers(parsed(R"({"actions":["vms/snapshot"]})")));
  BOOST_TEST(!snap.covers(parsed(R"({"actions":["vms/start"]})")));
  BOOST_TEST(!snap.covers(none));
  BOOST_TEST(snap.covers(parsed(R"({"readOnly":true})")));
}

BOOST_AUTO_TEST_CASE(cli_lists_split_on_commas_without_empty_items) {
  auto l = split_scope_list("vms,hosts,vms", "collections");
  BOOST_REQUIRE(l.is_ok());
  BOOST_TEST(l->size() == 2u);
  BOOST_TEST(!split_scope_list("vms,,hosts", "collections").is_ok());
  BOOST_TEST(!split_scope_list("", "collections").is_ok());
}

BOOST_AUTO_TEST_SUITE_END()

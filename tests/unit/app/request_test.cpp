#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include "auth/auth_store.h"
#include "routes/http_errors.h"
#include "routes/list_output.h"
#include "worker/credential_cache.h"
#include "worker/request.h"
#include "worker/response.h"

using namespace xr;
using namespace xr::app;

BOOST_AUTO_TEST_SUITE(app_request)

BOOST_AUTO_TEST_CASE(url_decode_handles_escapes_plus_and_bad_escapes) {
  BOOST_TEST(url_decode("My%20tag", false) == "My tag");
  BOOST_TEST(url_decode("a+b", true) == "a b");
  BOOST_TEST(url_decode("a+b", false) == "a+b");
  BOOST_TEST(url_decode("100%", false) == "100%");
  BOOST_TEST(url_decode("%zz%4", false) == "%zz%4");
  BOOST_TEST(url_decode("%2F", false) == "/");
}

BOOST_AUTO_TEST_CASE(query_keeps_order_bare_keys_and_repeats) {
  auto q = parse_query("fields=name_label%2Cpower_state&ndjson&filter=power_state:Running+x&&limit=");
  BOOST_REQUIRE(q.size() == 4u);
  BOOST_TEST(q[0].first == "fields");
  BOOST_TEST(q[0].second == "name_label,power_state");
  BOOST_TEST(q[1].first == "ndjson");
  BOOST_TEST(q[1].second == "");
  BOOST_TEST(q[2].second == "power_state:Running x");
  BOOST_TEST(q[3].first == "limit");
}

BOOST_AUTO_TEST_CASE(path_segments_are_decoded_after_splitting) {
  auto s = split_path("/rest/v0//vms/a%2Fb/");
  BOOST_REQUIRE(s.size() == 4u);
  BOOST_TEST(s[2] == "vms");
  BOOST_TEST(s[3] == "a/b");  // an encoded slash stays inside its segment
  BOOST_TEST(split_path("/").empty());
}

// Routes match these: `vm%73` stays itself and `//vms` keeps its empty segment (XO: 404).
BOOST_AUTO_TEST_CASE(raw_path_segments_keep_escapes_and_inner_empty_segments) {
  auto s = split_raw_path("/rest/v0//vm%73/");
  BOOST_REQUIRE(s.size() == 4u);
  BOOST_TEST(s[2] == "");
  BOOST_TEST(s[3] == "vm%73");
  BOOST_TEST(split_raw_path("/rest/v0/vms/").size() == 3u);  // one trailing slash is ignored
  BOOST_TEST(split_raw_path("/").empty());
}

BOOST_AUTO_TEST_CASE(error_kinds_map_to_http_statuses) {
  BOOST_TEST(http_status(Status(ErrorKind::kInvalidArgument, "")) == 400);
  BOOST_TEST(http_status(Status(ErrorKind::kUnauthorized, "")) == 401);
  BOOST_TEST(http_status(Status(ErrorKind::kForbidden, "")) == 403);
  BOOST_TEST(http_status(Status(ErrorKind::kNotFound, "")) == 404);
  BOOST_TEST(http_status(Status(ErrorKind::kConflict, "")) == 409);
  BOOST_TEST(http_status(Status(ErrorKind::kTransport, "")) == 503);
  BOOST_TEST(http_status(Status(ErrorKind::kPreconditionFailed, "")) == 412);
  BOOST_TEST(http_status(Status(ErrorKind::kGatewayTimeout, "")) == 504);
  // XAPI failures are 500, except the object-state ones XO answers as 409 (incorrect state).
  BOOST_TEST(http_status(Status::xapi("HANDLE_INVALID", {"VM", "x"})) == 500);
  BOOST_TEST(http_status(Status::xapi("VM_BAD_POWER_STATE", {"a"})) == 409);
  BOOST_TEST(http_status(Status::xapi("VDI_IN_USE", {"a"})) == 409);
  BOOST_TEST(std::string(reason_phrase(200)) == "OK");
  BOOST_TEST(std::string(reason_phrase(307)) == "Temporary Redirect");
}

BOOST_AUTO_TEST_CASE(projection_picks_names_dotted_paths_and_adds_href_last) {
  rapidjson::Document obj;
  obj.Parse(R"({"a":1,"b":{"c":2,"d":3},"x.y":4,"href":"old"})");
  ListOptions o;
  o.has_fields = true;
  o.fields = {"b.c", "a", "nope", "x.y"};
  BOOST_TEST(project_object(obj, o, "/h") == R"({"b":{"c":2},"a":1,"x.y":4,"href":"/h"})");
  o.fields = {};
  BOOST_TEST(project_object(obj, o, "/h") == R"({"href":"/h"})");
  o.all_fields = true;
  BOOST_TEST(project_object(obj, o, "/h") == R"({"a":1,"b":{"c":2,"d":3},"x.y":4,"href":"/h"})");
}

BOOST_AUTO_TEST_CASE(credential_cache_remembers_by_kind_and_secret) {
  CredentialCache cache;
  auth::User u{"id", "admin", "admin", 0, {}, std::nullopt};
  BOOST_TEST(!cache.find(CredentialCache::Kind::kToken, "t").has_value());
  cache.remember(CredentialCache::Kind::kToken, "t", u, cache.generation(), INT64_MAX);
  BOOST_TEST(cache.find(CredentialCache::Kind::kToken, "t")->name == "admin");
  BOOST_TEST(!cache.find(CredentialCache::Kind::kBasic, "t").has_value());
  BOOST_TEST(!cache.find(CredentialCache::Kind::kToken, "u").has_value());
}

// Issue 17, defect 10: one shared generation bump empties every process's cache; an entry
// verified under an older generation (a revocation during its check) or past its token's
// expiration is never used.
BOOST_AUTO_TEST_CASE(credential_cache_follows_the_shared_generation_and_expiry) {
  std::atomic<uint64_t> shared{7};
  CredentialCache a(&shared), b(&shared);
  auth::User u{"id", "admin", "admin", 0, {}, std::nullopt};
  a.remember(CredentialCache::Kind::kToken, "t", u, a.generation(), INT64_MAX);
  b.remember(CredentialCache::Kind::kBasic, "admin:pw", u, b.generation(), INT64_MAX);
  BOOST_TEST(a.find(CredentialCache::Kind::kToken, "t").has_value());
  a.invalidate();  // in process a: process b's entries go too
  BOOST_TEST(shared.load() == 8u);
  BOOST_TEST(!a.find(CredentialCache::Kind::kToken, "t").has_value());
  BOOST_TEST(!b.find(CredentialCache::Kind::kBasic, "admin:pw").has_value());
  b.remember(CredentialCache::Kind::kToken, "old", u, 7, INT64_MAX);  // checked before the bump
  BOOST_TEST(!b.find(CredentialCache::Kind::kToken, "old").has_value());
  b.remember(CredentialCache::Kind::kToken, "expired", u, b.generation(), auth::now_ms() - 1);
  BOOST_TEST(!b.find(CredentialCache::Kind::kToken, "expired").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

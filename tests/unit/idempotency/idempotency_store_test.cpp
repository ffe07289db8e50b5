#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/process_identity.h"
#include "idempotency/idempotency_store.h"
#include "store/sqlite_db.h"

using namespace xr;
using namespace xr::idempotency;

namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/xr-idem-test.XXXXXX";
    dir = mkdtemp(tmpl);
    auto r = store::open_sqlite(dir + "/t.db");
    BOOST_REQUIRE(r.is_ok());
    db = std::move(r).value();
    auto s = IdempotencyStore::open(*db);
    BOOST_REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    store = std::move(s).value();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
  Claim claim(std::string_view key, std::string_view fp, std::string_view owner, int64_t now, bool alive = true) {
    auto c = store->claim("u1", key, fp, owner, now, [alive](std::string_view) { return alive; });
    BOOST_REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    return *c;
  }
  std::string dir;
  std::unique_ptr<store::Db> db;
  std::unique_ptr<IdempotencyStore> store;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(first_use_claims_then_the_kept_answer_is_replayed, Fixture) {
  BOOST_TEST(static_cast<int>(claim("k", "fp", "p1", 1000).outcome) == static_cast<int>(Outcome::kClaimed));
  BOOST_TEST(static_cast<int>(claim("k", "fp", "p2", 1001).outcome) == static_cast<int>(Outcome::kInFlight));
  BOOST_REQUIRE(store->complete("u1", "k", "p1", {201, "application/json", "Location: /x\r\n", "{\"id\":\"a\"}"}).is_ok());
  Claim c = claim("k", "fp", "p2", 1002);
  BOOST_TEST(static_cast<int>(c.outcome) == static_cast<int>(Outcome::kReplay));
  BOOST_TEST(c.answer.status == 201);
  BOOST_TEST(c.answer.headers == "Location: /x\r\n");
  BOOST_TEST(c.answer.body == "{\"id\":\"a\"}");
}

BOOST_FIXTURE_TEST_CASE(another_request_with_the_same_key_is_a_mismatch, Fixture) {
  claim("k", "fp1", "p1", 1000);
  BOOST_TEST(static_cast<int>(claim("k", "fp2", "p1", 1001).outcome) == static_cast<int>(Outcome::kMismatch));
  // another user's key of the same name is another key
  auto other = store->claim("u2", "k", "fp2", "p1", 1001, [](std::string_view) { return true; });
  BOOST_TEST(static_cast<int>(other->outcome) == static_cast<int>(Outcome::kClaimed));
}

BOOST_FIXTURE_TEST_CASE(a_dead_holder_or_an_old_lease_is_taken_over_and_keys_expire, Fixture) {
  claim("k", "fp", "p1", 1000);
  BOOST_TEST(static_cast<int>(claim("k", "fp", "p2", 1001, false).outcome) == static_cast<int>(Outcome::kClaimed));
  // p1's late answer is not kept: the key is p2's now
  BOOST_REQUIRE(store->complete("u1", "k", "p1", {200, "", "", "p1"}).is_ok());
  BOOST_TEST(static_cast<int>(claim("k", "fp", "p3", 1002).outcome) == static_cast<int>(Outcome::kInFlight));
  BOOST_TEST(static_cast<int>(claim("k", "fp", "p3", 1001 + kInFlightLeaseMs + 1).outcome) ==
             static_cast<int>(Outcome::kClaimed));
  BOOST_REQUIRE(store->complete("u1", "k", "p3", {204, "", "", ""}).is_ok());
  const int64_t later = 1001 + kInFlightLeaseMs + 1 + kKeepMs + 1;
  BOOST_TEST(static_cast<int>(claim("k", "other", "p4", later).outcome) == static_cast<int>(Outcome::kClaimed));
}

BOOST_FIXTURE_TEST_CASE(a_released_key_runs_again, Fixture) {
  claim("k", "fp", "p1", 1000);
  BOOST_REQUIRE(store->release("u1", "k", "p1").is_ok());
  BOOST_TEST(static_cast<int>(claim("k", "fp2", "p2", 1001).outcome) == static_cast<int>(Outcome::kClaimed));
}

BOOST_AUTO_TEST_CASE(fingerprints_and_keys) {
  BOOST_TEST(fingerprint("POST", "/a", "bc") != fingerprint("POST", "/ab", "c"));
  BOOST_TEST(fingerprint("POST", "/a", "{}") == fingerprint("POST", "/a", "{}"));
  BOOST_TEST(fingerprint("POST", "/a", "{}").size() == 64u);
  BOOST_TEST(valid_key("8e03978e-40d5-43e8-bc93-6894a57f9324"));
  BOOST_TEST(!valid_key(""));
  BOOST_TEST(!valid_key(std::string(256, 'x')));
  BOOST_TEST(!valid_key("tab\there"));
}

BOOST_AUTO_TEST_CASE(process_identity_names_this_process_alive_and_a_wrong_start_time_dead) {
  const std::string me = process_identity(getpid());
  BOOST_TEST(process_alive(me));
  BOOST_TEST(!process_alive(std::to_string(getpid()) + ":1"));
  BOOST_TEST(!process_alive("garbage"));
}

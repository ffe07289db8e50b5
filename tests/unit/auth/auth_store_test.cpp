#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/auth_store.h"
#include "auth/secrets.h"
#include "store/sqlite_db.h"
#include "test_store.h"

using namespace xr;
using namespace xr::auth;

namespace {

constexpr int64_t kDay = 86'400'000;

struct TempDb : xr::testing::TestStore {
  std::unique_ptr<AuthStore> open() {
    auto r = AuthStore::open(TestStore::open());
    BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return std::move(r).value();
  }
  Result<std::unique_ptr<AuthStore>> try_open_store() const {
    XR_ASSIGN_OR_RETURN(auto db, try_open());
    return AuthStore::open(std::move(db));
  }
  // Every byte the store keeps about users and tokens: the SQLite files (WAL mode: rows may
  // still be in the -wal file), or every cell of both tables on PostgreSQL.
  std::string stored_bytes() const {
    std::stringstream bytes;
    if (!postgres()) {
      bytes << std::ifstream(path(), std::ios::binary).rdbuf()
            << std::ifstream(path() + "-wal", std::ios::binary).rdbuf();
      return bytes.str();
    }
    auto db = TestStore::open();
    for (const char* table : {"users", "tokens"}) {
      auto rows = db->query(std::string("SELECT * FROM ") + table);
      BOOST_REQUIRE(rows.is_ok());
      for (const auto& r : *rows) {
        for (size_t c = 0; c < r.size(); ++c) bytes << r.text(c) << '\n';
      }
    }
    return bytes.str();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_store)

BOOST_AUTO_TEST_CASE(user_is_added_and_found_and_duplicates_are_refused) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  BOOST_REQUIRE(u.is_ok());
  BOOST_TEST(u->id.size() == 36u);
  BOOST_TEST(u->permission == "admin");
  BOOST_TEST(store->find_user(u->id)->name == "admin");
  BOOST_TEST(store->find_user_by_name("admin")->id == u->id);
  auto dup = store->add_user("admin", "other");
  BOOST_TEST((dup.status().kind() == ErrorKind::kConflict));
  BOOST_TEST((store->find_user("nope").status().kind() == ErrorKind::kNotFound));
  BOOST_TEST(store->list_users()->size() == 1u);
}

BOOST_AUTO_TEST_CASE(password_is_checked_against_an_argon2id_hash) {
  TempDb t;
  auto store = t.open();
  BOOST_REQUIRE(store->add_user("alice", "correct horse").is_ok());
  BOOST_TEST(store->check_password("alice", "correct horse").is_ok());
  BOOST_TEST((store->check_password("alice", "wrong").status().kind() == ErrorKind::kUnauthorized));
  BOOST_TEST((store->check_password("bob", "x").status().kind() == ErrorKind::kUnauthorized));
  const std::string bytes = t.stored_bytes();
  BOOST_TEST(bytes.find("correct horse") == std::string::npos);
  BOOST_TEST(bytes.find("$argon2id$") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(token_is_43_chars_and_stored_only_as_a_hash) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  auto c = store->create_token(u->id, kDay, "ci", now_ms());
  BOOST_REQUIRE(c.is_ok());
  BOOST_TEST(c->token.size() == 43u);
  BOOST_TEST(c->token.find_first_not_of(
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string::npos);
  BOOST_TEST(c->info.id != c->token);
  BOOST_TEST(t.stored_bytes().find(c->token) == std::string::npos);
  auto owner = store->check_token(c->token, now_ms());
  BOOST_REQUIRE(owner.is_ok());
  BOOST_TEST(owner->id == u->id);
}

// Issue 17, controls: a token's scope is stored, returned with its user by check_token
// (with the token's public id) and listed; an unscoped token has none.
BOOST_AUTO_TEST_CASE(a_tokens_scope_is_kept_checked_and_listed) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  TokenScope scope;
  scope.read_only = true;
  scope.collections = {"vms", "tasks"};
  auto scoped = store->create_token(u->id, kDay, "ro", now_ms(), {}, scope);
  auto plain = store->create_token(u->id, kDay, "", now_ms());
  BOOST_REQUIRE(scoped.is_ok());
  BOOST_REQUIRE(plain.is_ok());
  auto owner = store->check_token(scoped->token, now_ms());
  BOOST_REQUIRE(owner.is_ok());
  BOOST_REQUIRE(owner->scope.has_value());
  BOOST_TEST(owner->scope->read_only);
  BOOST_TEST(scope_to_json(*owner->scope) == scope_to_json(scope));
  BOOST_TEST(owner->token_id == scoped->info.id);
  auto unscoped = store->check_token(plain->token, now_ms());
  BOOST_REQUIRE(unscoped.is_ok());
  BOOST_TEST(!unscoped->scope.has_value());
  auto listed = store->list_tokens(u->id);
  BOOST_REQUIRE(listed.is_ok());
  BOOST_REQUIRE(listed->size() == 2u);
  BOOST_TEST((*listed)[0].scope.has_value());
  BOOST_TEST(!(*listed)[1].scope.has_value());
}

BOOST_AUTO_TEST_CASE(invalid_and_expired_tokens_are_unauthorized) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  const int64_t now = now_ms();
  auto c = store->create_token(u->id, 1000, "", now);
  BOOST_REQUIRE(c.is_ok());
  BOOST_TEST(store->check_token(c->token, now + 999).is_ok());
  BOOST_TEST((store->check_token(c->token, now + 1000).status().kind() == ErrorKind::kUnauthorized));
  std::string wrong = c->token;  // differs from the token for certain (was "x" + substr(1))
  wrong[0] = wrong[0] == 'x' ? 'y' : 'x';
  BOOST_TEST((store->check_token(wrong, now).status().kind() == ErrorKind::kUnauthorized));
  BOOST_TEST((store->check_token("", now).status().kind() == ErrorKind::kUnauthorized));
}

BOOST_AUTO_TEST_CASE(tokens_are_listed_with_last_use_and_revoked) {
  TempDb t;
  auto store = t.open();
  auto a = store->add_user("a", "pw");
  auto b = store->add_user("b", "pw", "none");
  const int64_t now = now_ms();
  auto ta = store->create_token(a->id, kDay, "first", now);
  auto tb = store->create_token(b->id, kDay, "second", now);
  BOOST_REQUIRE(ta.is_ok() && tb.is_ok());
  BOOST_TEST(store->list_tokens("")->size() == 2u);
  auto mine = store->list_tokens(a->id);
  BOOST_REQUIRE(mine->size() == 1u);
  BOOST_TEST((*mine)[0].description == "first");
  BOOST_TEST(!(*mine)[0].last_use.has_value());
  BOOST_REQUIRE(store->check_token(ta->token, now + 5).is_ok());
  BOOST_TEST(store->list_tokens(a->id)->at(0).last_use.value_or(0) == now + 5);
  // Revoking someone else's token under my id does not work.
  BOOST_TEST((store->revoke_token(tb->info.id, a->id).kind() == ErrorKind::kNotFound));
  BOOST_TEST(store->revoke_token(ta->info.id, a->id).is_ok());
  BOOST_TEST((store->check_token(ta->token, now).status().kind() == ErrorKind::kUnauthorized));
  BOOST_TEST(store->check_token(tb->token, now).is_ok());
}

// Issue 17, defect 10: every revocation and user deletion moves the credentials generation
// (what the master follows into the shared segment); a failed one does not.
BOOST_AUTO_TEST_CASE(revocations_and_deletions_bump_the_credentials_generation) {
  TempDb t;
  auto store = t.open();
  auto db = t.try_open();
  auto gen = [&] { return *AuthStore::generation(**db); };
  const int64_t g0 = gen();
  auto a = store->add_user("a", "pw");
  const int64_t now = now_ms();
  auto ta = store->create_token(a->id, kDay, "x", now);
  int64_t expiration = 0;
  BOOST_REQUIRE(store->check_token(ta->token, now, &expiration).is_ok());
  BOOST_TEST(expiration == now + kDay);
  BOOST_TEST(gen() == g0);  // creating and using do not invalidate anything
  BOOST_TEST(store->revoke_token(ta->info.id, "").is_ok());
  BOOST_TEST(gen() == g0 + 1);
  BOOST_TEST((store->revoke_token(ta->info.id, "").kind() == ErrorKind::kNotFound));
  BOOST_TEST(gen() == g0 + 1);
  auto tb = store->create_token(a->id, kDay, "y", now);
  BOOST_TEST(store->delete_user(a->id).is_ok());
  BOOST_TEST(gen() == g0 + 2);
  BOOST_TEST((store->check_token(tb->token, now).status().kind() == ErrorKind::kUnauthorized));
  BOOST_TEST((store->find_user_by_name("a").status().kind() == ErrorKind::kNotFound));
  BOOST_TEST((store->delete_user(a->id).kind() == ErrorKind::kNotFound));
}

BOOST_AUTO_TEST_CASE(token_for_unknown_user_is_refused) {
  TempDb t;
  auto store = t.open();
  BOOST_TEST((store->create_token("nobody", kDay, "", now_ms()).status().kind() == ErrorKind::kNotFound));
}

BOOST_AUTO_TEST_CASE(another_process_sees_tokens_and_writes_concurrently) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  auto w = store->add_user("child", "pw");  // its own user: at most kMaxTokensPerUser each
  auto c = store->create_token(u->id, kDay, "", now_ms());
  BOOST_REQUIRE(c.is_ok());
  pid_t child = fork();
  if (child == 0) {
    auto r = t.try_open_store();
    int bad = 0;
    for (int i = 0; i < 50 && r; ++i) {
      if (!(*r)->check_token(c->token, now_ms()).is_ok()) ++bad;
      if (!(*r)->create_token(w->id, kDay, "child", now_ms()).is_ok()) ++bad;
    }
    _exit(r && bad == 0 ? 0 : 1);
  }
  int failures = 0;
  for (int i = 0; i < 50; ++i) {
    if (!store->create_token(u->id, kDay, "parent", now_ms()).is_ok()) ++failures;
  }
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_TEST(failures == 0);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  BOOST_TEST(store->list_tokens(u->id)->size() == 51u);
  BOOST_TEST(store->list_tokens(w->id)->size() == 50u);
}

BOOST_AUTO_TEST_CASE(a_database_from_before_lib_store_keeps_its_users_and_tokens) {
  TempDb t;
  if (t.postgres()) return;  // SQLite only: no PostgreSQL database predates lib/store
  {
    // The tables exactly as the pre-store code created them, with no schema_versions row.
    auto db = store::open_sqlite(t.path());
    BOOST_REQUIRE(db.is_ok());
    BOOST_REQUIRE((*db)->exec_script(
        "CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, pw_hash TEXT NOT NULL,"
        " permission TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE tokens(id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, user_id TEXT NOT NULL"
        " REFERENCES users(id) ON DELETE CASCADE, created_at INTEGER NOT NULL,"
        " expiration INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '', last_use INTEGER);"
        "INSERT INTO users VALUES('u1','old','x','admin',1);").is_ok());
  }
  auto store = t.open();
  BOOST_TEST(store->find_user_by_name("old")->id == "u1");
  auto db = store::open_sqlite(t.path());
  BOOST_TEST(*(*db)->schema_version("auth") == 4);  // then migrated on to the latest
}

// XO's token client: kept with the token; a new token of the same client and user replaces
// the old one (XO refreshes it), other users and clients are untouched.
BOOST_AUTO_TEST_CASE(a_clients_new_token_replaces_its_previous_one) {
  TempDb t;
  auto store = t.open();
  auto a = store->add_user("a", "pw");
  auto b = store->add_user("b", "pw");
  const int64_t now = now_ms();
  auto first = store->create_token(a->id, 120'000, "", now, "cli");
  auto other = store->create_token(a->id, 120'000, "", now, "web");
  auto plain = store->create_token(a->id, 120'000, "", now);
  auto of_b = store->create_token(b->id, 120'000, "", now, "cli");
  auto second = store->create_token(a->id, 120'000, "", now, "cli");
  BOOST_REQUIRE(second.is_ok());
  BOOST_TEST(second->info.client_id == "cli");
  BOOST_TEST(!store->check_token(first->token, now).is_ok());
  for (const auto* c : {&*other, &*plain, &*of_b, &*second}) {
    BOOST_TEST(store->check_token(c->token, now).is_ok());
  }
  auto listed = store->list_tokens(a->id);
  BOOST_REQUIRE(listed->size() == 3u);
  BOOST_TEST((*listed)[0].client_id == "web");
  BOOST_TEST((*listed)[1].client_id == "");
  BOOST_TEST((*listed)[2].client_id == "cli");
}

BOOST_AUTO_TEST_CASE(a_store_on_a_borrowed_connection_shares_it) {
  TempDb t;
  auto db = t.try_open();
  BOOST_REQUIRE(db.is_ok());
  auto s = AuthStore::open(**db);
  BOOST_REQUIRE(s.is_ok());
  BOOST_REQUIRE((*s)->add_user("a", "pw").is_ok());
  BOOST_TEST((*db)->query("SELECT name FROM users")->size() == 1u);
}

BOOST_AUTO_TEST_CASE(tokens_per_user_and_description_length_are_capped_and_expired_ones_purged) {
  TempDb t;
  auto store = t.open();
  auto u = store->add_user("admin", "pw");
  auto v = store->add_user("other", "pw");
  const int64_t now = now_ms();
  BOOST_TEST((store->create_token(u->id, kDay, std::string(kMaxTokenDescriptionBytes + 1, 'x'), now)
                  .status().kind() == ErrorKind::kInvalidArgument));
  BOOST_TEST(store->create_token(u->id, kDay, std::string(kMaxTokenDescriptionBytes, 'x'), now).is_ok());
  BOOST_REQUIRE(store->create_token(v->id, 1000, "expires soon", now).is_ok());
  for (int64_t i = 1; i < kMaxTokensPerUser; ++i) BOOST_REQUIRE(store->create_token(u->id, kDay, "", now).is_ok());
  auto over = store->create_token(u->id, kDay, "", now);
  BOOST_TEST((over.status().kind() == ErrorKind::kConflict));
  BOOST_TEST(store->list_tokens(u->id)->size() == static_cast<size_t>(kMaxTokensPerUser));
  // Another user is not affected; its expired token is purged by the next creation.
  BOOST_TEST(store->list_tokens(v->id)->size() == 1u);
  BOOST_TEST(store->create_token(v->id, kDay, "", now + 2000).is_ok());
  BOOST_TEST(store->list_tokens(v->id)->size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

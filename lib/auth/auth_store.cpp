#include "auth/auth_store.h"

#include <chrono>

#include "auth/secrets.h"
#include "base/utf8.h"
#include "store/sqlite_db.h"

namespace xr::auth {

namespace {

// last_use is written at most this often per token: a token check stays a read.
constexpr int64_t kLastUseResolutionMs = 60'000;

// Version 1 is the schema from before lib/store (IF NOT EXISTS: such databases adopt it).
// On PostgreSQL an identity column named rowid keeps "ORDER BY created_at, rowid" portable.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE IF NOT EXISTS users(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  pw_hash TEXT NOT NULL,
  permission TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expiration INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  last_use INTEGER);
)sql";
constexpr std::string_view kV1Postgres = R"sql(
CREATE TABLE IF NOT EXISTS users(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  pw_hash TEXT NOT NULL,
  permission TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY);
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY,
  hash BYTEA NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expiration BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  last_use BIGINT,
  rowid BIGINT GENERATED ALWAYS AS IDENTITY);
)sql";
// Version 2: XO's token `client` ({id}) given at creation; one token per client and user.
constexpr std::string_view kV2 = "ALTER TABLE tokens ADD COLUMN client_id TEXT;";
// Version 3 (issue 17, defect 10): the credentials generation, one row bumped in the same
// transaction as every revocation, user deletion or password change, so that a change made
// by another process (the CLI) or another node reaches every serving process's cache.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE auth_generation(id INTEGER PRIMARY KEY, gen BIGINT NOT NULL);
INSERT INTO auth_generation(id, gen) VALUES (1, 0);
)sql";
// Version 4 (issue 17, controls): a token's scope as JSON text (auth/token_scope.h); NULL for
// an unscoped token.
constexpr std::string_view kV4 = "ALTER TABLE tokens ADD COLUMN scope TEXT;";
constexpr store::Migration kMigrations[] = {
    {1, kV1, kV1Postgres}, {2, kV2, kV2}, {3, kV3, kV3}, {4, kV4, kV4}};

Status bump_generation(store::Db& db) {
  return db.exec("UPDATE auth_generation SET gen=gen+1 WHERE id=1").status();
}

User user_from_row(const store::Row& r) {
  return User{r.text(0), r.text(1), r.text(2), r.integer(3), {}, std::nullopt};
}

store::Param blob_of(const TokenHash& h) {
  return store::Param::blob({reinterpret_cast<const char*>(h.data()), h.size()});
}

// A stored scope; a row whose text no longer parses is refused (never read as unscoped).
Result<std::optional<TokenScope>> scope_of(const store::Row& r, int column) {
  if (r.is_null(column)) return std::optional<TokenScope>();
  XR_ASSIGN_OR_RETURN(TokenScope s, scope_from_text(r.text(column)));
  return std::optional<TokenScope>(std::move(s));
}

Result<TokenInfo> token_from_row(const store::Row& r) {
  TokenInfo t{r.text(0), r.text(1), r.integer(2), r.integer(3), r.text(4), std::nullopt, {}, std::nullopt};
  if (!r.is_null(5)) t.last_use = r.integer(5);
  if (!r.is_null(6)) t.client_id = r.text(6);
  XR_ASSIGN_OR_RETURN(t.scope, scope_of(r, 7));
  return t;
}

}  // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<AuthStore>> AuthStore::open(const std::string& path) {
  XR_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::open_sqlite(path));
  return open(std::move(db));
}

Result<std::unique_ptr<AuthStore>> AuthStore::open(std::unique_ptr<store::Db> db) {
  XR_ASSIGN_OR_RETURN(std::unique_ptr<AuthStore> s, open(*db));
  s->owned_ = std::move(db);
  return s;
}

Result<std::unique_ptr<AuthStore>> AuthStore::open(store::Db& db) {
  XR_RETURN_IF_ERROR(init_crypto());
  XR_RETURN_IF_ERROR(db.migrate("auth", kMigrations));
  return std::unique_ptr<AuthStore>(new AuthStore(nullptr, &db));
}

Result<User> AuthStore::add_user(std::string_view name, std::string_view password,
                                 std::string_view permission) {
  if (name.empty()) return Status(ErrorKind::kInvalidArgument, "the user name is empty");
  if (password.empty()) return Status(ErrorKind::kInvalidArgument, "the password is empty");
  if (permission != "admin" && permission != "none") {
    return Status(ErrorKind::kInvalidArgument, "permission must be admin or none");
  }
  XR_ASSIGN_OR_RETURN(std::string pw_hash, hash_password(password));
  User u{new_uuid(), std::string(name), std::string(permission), now_ms(), {}, std::nullopt};
  Status st = db_->exec("INSERT INTO users(id,name,pw_hash,permission,created_at) VALUES($1,$2,$3,$4,$5)",
                        {u.id, u.name, pw_hash, u.permission, u.created_at}).status();
  if (st.kind() == ErrorKind::kConflict) {
    return Status(ErrorKind::kConflict, "user \"" + u.name + "\" already exists");
  }
  XR_RETURN_IF_ERROR(st);
  return u;
}

Result<User> AuthStore::user_where(std::string_view column, std::string_view value) {
  std::string sql = "SELECT id,name,permission,created_at FROM users WHERE " +
                    std::string(column) + "=$1";
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_->query(sql, {value}));
  if (rows.empty()) return Status(ErrorKind::kNotFound, "no such user " + std::string(value));
  return user_from_row(rows[0]);
}

Result<User> AuthStore::find_user(std::string_view id) { return user_where("id", id); }
Result<User> AuthStore::find_user_by_name(std::string_view name) { return user_where("name", name); }

Result<std::vector<User>> AuthStore::list_users() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_->query(
      "SELECT id,name,permission,created_at FROM users ORDER BY created_at, rowid"));
  std::vector<User> out;
  for (const store::Row& r : rows) out.push_back(user_from_row(r));
  return out;
}

Result<User> AuthStore::check_password(std::string_view name, std::string_view password) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_->query(
      "SELECT id,name,permission,created_at,pw_hash FROM users WHERE name=$1", {name}));
  if (rows.empty()) {
    // The same argon2id work as for a known name: timing does not reveal which names exist.
    (void)verify_password(unknown_user_hash(), password);
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  if (!verify_password(rows[0].text(4), password)) {
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  return user_from_row(rows[0]);
}

Result<CreatedToken> AuthStore::create_token(std::string_view user_id, int64_t validity_ms,
                                             std::string_view description, int64_t now,
                                             std::string_view client_id,
                                             const std::optional<TokenScope>& scope) {
  if (description.size() > kMaxTokenDescriptionBytes) {
    return Status(ErrorKind::kInvalidArgument, "the token description is longer than " +
                                                   std::to_string(kMaxTokenDescriptionBytes) + " bytes");
  }
  if (!is_valid_utf8(description)) {
    return Status(ErrorKind::kInvalidArgument, "the token description is not valid UTF-8");
  }
  XR_RETURN_IF_ERROR(find_user(user_id).status());
  CreatedToken c;
  c.token = new_token();
  TokenHash h = hash_token(c.token);
  c.info = TokenInfo{token_id(h), std::string(user_id), now, now + validity_ms,
                     std::string(description), std::nullopt, std::string(client_id), scope};
  Status saved = store::in_transaction(*db_, [&](store::Db& db) -> Status {
    // Expired tokens are purged (every user's): they only fill the disk.
    XR_RETURN_IF_ERROR(db.exec("DELETE FROM tokens WHERE expiration<=$1", {now}).status());
    if (!client_id.empty()) {
      // XO refreshes the client's token; its secret is not kept here, so it is replaced.
      XR_ASSIGN_OR_RETURN(int64_t replaced, db.exec("DELETE FROM tokens WHERE user_id=$1 AND client_id=$2",
                                                    {c.info.user_id, c.info.client_id}));
      if (replaced > 0) XR_RETURN_IF_ERROR(bump_generation(db));  // the old secret is revoked
    }
    XR_ASSIGN_OR_RETURN(store::Rows count,
                        db.query("SELECT COUNT(*) FROM tokens WHERE user_id=$1", {c.info.user_id}));
    if (!count.empty() && count[0].integer(0) >= kMaxTokensPerUser) {
      return Status(ErrorKind::kConflict, "the user already has " + std::to_string(kMaxTokensPerUser) +
                                              " tokens, the most allowed: revoke some first");
    }
    return db.exec(
        "INSERT INTO tokens(id,hash,user_id,created_at,expiration,description,client_id,scope) "
        "VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
        {c.info.id, blob_of(h), c.info.user_id, c.info.created_at, c.info.expiration,
         c.info.description,
         client_id.empty() ? store::Param(nullptr) : store::Param(c.info.client_id),
         scope ? store::Param(scope_to_json(*scope)) : store::Param(nullptr)}).status();
  });
  if (!saved.is_ok()) return saved;
  return c;
}

Result<User> AuthStore::check_token(std::string_view token, int64_t now, int64_t* expiration) {
  const TokenHash h = hash_token(token);
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_->query(
      "SELECT u.id,u.name,u.permission,u.created_at,t.hash,t.expiration,t.last_use,t.id,t.scope "
      "FROM tokens t JOIN users u ON u.id=t.user_id WHERE t.hash=$1", {blob_of(h)}));
  if (rows.empty() || !hashes_equal(h, rows[0].blob(4)) || rows[0].integer(5) <= now) {
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  const store::Row& r = rows[0];
  User u = user_from_row(r);
  u.token_id = r.text(7);
  XR_ASSIGN_OR_RETURN(u.scope, scope_of(r, 8));
  if (expiration != nullptr) *expiration = r.integer(5);
  const bool stale = r.is_null(6) || now - r.integer(6) >= kLastUseResolutionMs;
  if (stale) {
    // Best effort: a busy database must not fail an authenticated request.
    (void)db_->exec("UPDATE tokens SET last_use=$1 WHERE id=$2", {now, r.text(7)});
  }
  return u;
}

Result<std::vector<TokenInfo>> AuthStore::list_tokens(std::string_view user_id) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_->query(
      "SELECT id,user_id,created_at,expiration,description,last_use,client_id,scope FROM tokens "
      "WHERE $1='' OR user_id=$1 ORDER BY created_at, rowid", {user_id}));
  std::vector<TokenInfo> out;
  for (const store::Row& r : rows) {
    XR_ASSIGN_OR_RETURN(TokenInfo t, token_from_row(r));
    out.push_back(std::move(t));
  }
  return out;
}

Status AuthStore::revoke_token(std::string_view id, std::string_view user_id) {
  return store::in_transaction(*db_, [&](store::Db& db) -> Status {
    XR_ASSIGN_OR_RETURN(int64_t n, db.exec(
        "DELETE FROM tokens WHERE id=$1 AND ($2='' OR user_id=$2)", {id, user_id}));
    if (n == 0) return Status(ErrorKind::kNotFound, "no such token " + std::string(id));
    return bump_generation(db);
  });
}

Status AuthStore::delete_user(std::string_view user_id) {
  return store::in_transaction(*db_, [&](store::Db& db) -> Status {
    // Tokens first: a database without foreign-key enforcement would keep them.
    XR_RETURN_IF_ERROR(db.exec("DELETE FROM tokens WHERE user_id=$1", {user_id}).status());
    XR_ASSIGN_OR_RETURN(int64_t n, db.exec("DELETE FROM users WHERE id=$1", {user_id}));
    if (n == 0) return Status(ErrorKind::kNotFound, "no such user " + std::string(user_id));
    return bump_generation(db);
  });
}

Result<User> AuthStore::update_user(std::string_view user_id, const UserChange& change) {
  if (change.name && change.name->empty()) return Status(ErrorKind::kInvalidArgument, "the user name is empty");
  if (change.password && change.password->empty()) {
    return Status(ErrorKind::kInvalidArgument, "the password is empty");
  }
  if (change.permission && *change.permission != "admin" && *change.permission != "none") {
    return Status(ErrorKind::kInvalidArgument, "permission must be admin or none");
  }
  std::string pw_hash;  // hashed outside the transaction (~0.1 s)
  if (change.password) {
    XR_ASSIGN_OR_RETURN(pw_hash, hash_password(*change.password));
  }
  Status st = store::in_transaction(*db_, [&](store::Db& db) -> Status {
    XR_ASSIGN_OR_RETURN(store::Rows rows, db.query("SELECT id FROM users WHERE id=$1", {user_id}));
    if (rows.empty()) return Status(ErrorKind::kNotFound, "no such user " + std::string(user_id));
    if (change.name) {
      XR_RETURN_IF_ERROR(db.exec("UPDATE users SET name=$2 WHERE id=$1", {user_id, *change.name}).status());
    }
    if (change.password) {
      XR_RETURN_IF_ERROR(db.exec("UPDATE users SET pw_hash=$2 WHERE id=$1", {user_id, pw_hash}).status());
    }
    if (change.permission) {
      XR_RETURN_IF_ERROR(db.exec("UPDATE users SET permission=$2 WHERE id=$1", {user_id, *change.permission}).status());
    }
    return bump_generation(db);
  });
  if (st.kind() == ErrorKind::kConflict) return Status(ErrorKind::kConflict, "user \"" + *change.name + "\" already exists");
  XR_RETURN_IF_ERROR(st);
  return find_user(user_id);
}

Result<int64_t> AuthStore::generation(store::Db& db) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db.query("SELECT gen FROM auth_generation WHERE id=1"));
  if (rows.empty()) return Status(ErrorKind::kInternal, "auth_generation has no row");
  return rows[0].integer(0);
}

}  // namespace xr::auth

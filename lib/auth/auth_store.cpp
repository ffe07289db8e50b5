#include "auth/auth_store.h"

#include <chrono>

#include "auth/secrets.h"

namespace xr::auth {

namespace {

// last_use is written at most this often per token: a token check stays a read.
constexpr int64_t kLastUseResolutionMs = 60'000;

constexpr const char* kSchema = R"sql(
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

User user_from_row(const Statement& s) {
  return User{s.text(0), s.text(1), s.text(2), s.integer(3)};
}

TokenInfo token_from_row(const Statement& s) {
  TokenInfo t{s.text(0), s.text(1), s.integer(2), s.integer(3), s.text(4), std::nullopt};
  if (!s.is_null(5)) t.last_use = s.integer(5);
  return t;
}

}  // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<AuthStore>> AuthStore::open(const std::string& path) {
  XR_RETURN_IF_ERROR(init_crypto());
  XR_ASSIGN_OR_RETURN(auto db, Database::open(path));
  XR_RETURN_IF_ERROR(db->exec(kSchema));
  return std::unique_ptr<AuthStore>(new AuthStore(std::move(db)));
}

Result<User> AuthStore::add_user(std::string_view name, std::string_view password,
                                 std::string_view permission) {
  if (name.empty()) return Status(ErrorKind::kInvalidArgument, "the user name is empty");
  if (password.empty()) return Status(ErrorKind::kInvalidArgument, "the password is empty");
  if (permission != "admin" && permission != "none") {
    return Status(ErrorKind::kInvalidArgument, "permission must be admin or none");
  }
  XR_ASSIGN_OR_RETURN(std::string pw_hash, hash_password(password));
  User u{new_uuid(), std::string(name), std::string(permission), now_ms()};
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare("INSERT INTO users VALUES(?,?,?,?,?)"));
  s.bind(1, u.id).bind(2, u.name).bind(3, pw_hash).bind(4, u.permission).bind(5, u.created_at);
  Status st = s.run();
  if (st.kind() == ErrorKind::kConflict) {
    return Status(ErrorKind::kConflict, "user \"" + u.name + "\" already exists");
  }
  XR_RETURN_IF_ERROR(st);
  return u;
}

Result<User> AuthStore::user_where(std::string_view column, std::string_view value) {
  std::string sql = "SELECT id,name,permission,created_at FROM users WHERE " +
                    std::string(column) + "=?";
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(sql));
  s.bind(1, value);
  XR_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return Status(ErrorKind::kNotFound, "no such user " + std::string(value));
  return user_from_row(s);
}

Result<User> AuthStore::find_user(std::string_view id) { return user_where("id", id); }
Result<User> AuthStore::find_user_by_name(std::string_view name) { return user_where("name", name); }

Result<std::vector<User>> AuthStore::list_users() {
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "SELECT id,name,permission,created_at FROM users ORDER BY created_at, rowid"));
  std::vector<User> out;
  for (;;) {
    XR_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return out;
    out.push_back(user_from_row(s));
  }
}

Result<User> AuthStore::check_password(std::string_view name, std::string_view password) {
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "SELECT id,name,permission,created_at,pw_hash FROM users WHERE name=?"));
  s.bind(1, name);
  XR_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row || !verify_password(s.text(4), password)) {
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  return user_from_row(s);
}

Result<CreatedToken> AuthStore::create_token(std::string_view user_id, int64_t validity_ms,
                                             std::string_view description, int64_t now) {
  XR_RETURN_IF_ERROR(find_user(user_id).status());
  CreatedToken c;
  c.token = new_token();
  TokenHash h = hash_token(c.token);
  c.info = TokenInfo{token_id(h), std::string(user_id), now, now + validity_ms,
                     std::string(description), std::nullopt};
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "INSERT INTO tokens(id,hash,user_id,created_at,expiration,description) VALUES(?,?,?,?,?,?)"));
  s.bind(1, c.info.id).bind_blob(2, h.data(), h.size()).bind(3, c.info.user_id);
  s.bind(4, c.info.created_at).bind(5, c.info.expiration).bind(6, c.info.description);
  XR_RETURN_IF_ERROR(s.run());
  return c;
}

Result<User> AuthStore::check_token(std::string_view token, int64_t now) {
  const TokenHash h = hash_token(token);
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "SELECT u.id,u.name,u.permission,u.created_at,t.hash,t.expiration,t.last_use,t.id "
      "FROM tokens t JOIN users u ON u.id=t.user_id WHERE t.hash=?"));
  s.bind_blob(1, h.data(), h.size());
  XR_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row || !hashes_equal(h, s.blob(4)) || s.integer(5) <= now) {
    return Status(ErrorKind::kUnauthorized, "invalid credentials");
  }
  User u = user_from_row(s);
  const bool stale = s.is_null(6) || now - s.integer(6) >= kLastUseResolutionMs;
  if (stale) {
    std::string id = s.text(7);
    auto upd = db_->prepare("UPDATE tokens SET last_use=? WHERE id=?");
    // Best effort: a busy database must not fail an authenticated request.
    if (upd) (void)upd->bind(1, now).bind(2, id).run();
  }
  return u;
}

Result<std::vector<TokenInfo>> AuthStore::list_tokens(std::string_view user_id) {
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "SELECT id,user_id,created_at,expiration,description,last_use FROM tokens "
      "WHERE ?1='' OR user_id=?1 ORDER BY created_at, rowid"));
  s.bind(1, user_id);
  std::vector<TokenInfo> out;
  for (;;) {
    XR_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return out;
    out.push_back(token_from_row(s));
  }
}

Status AuthStore::revoke_token(std::string_view id, std::string_view user_id) {
  XR_ASSIGN_OR_RETURN(Statement s, db_->prepare(
      "DELETE FROM tokens WHERE id=?1 AND (?2='' OR user_id=?2)"));
  s.bind(1, id).bind(2, user_id);
  XR_RETURN_IF_ERROR(s.run());
  if (db_->changes() == 0) return Status(ErrorKind::kNotFound, "no such token " + std::string(id));
  return Status::ok();
}

}  // namespace xr::auth

// Users and authentication tokens in the store (lib/store: SQLite <data_dir>/xapi-rest.db
// today). One AuthStore per thread (it owns or borrows that thread's connection); any
// number of processes may use the same database at once. Token checks cost one indexed
// read (no password hash); calls block on database I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/token_scope.h"
#include "base/status.h"
#include "store/db.h"

namespace xr::auth {

// Bounds on what one user can store (issue 17, defect 7): unexpired tokens per user, and
// bytes of a token description. Expired tokens are purged whenever a token is created.
inline constexpr int64_t kMaxTokensPerUser = 100;
inline constexpr size_t kMaxTokenDescriptionBytes = 1024;

struct User {
  std::string id;          // uuid
  std::string name;        // login name (XO's "email")
  std::string permission;  // "admin" | "none"
  int64_t created_at = 0;  // ms since the epoch
  // Set when authenticated by a token: its public id, and its scope when it has one (the
  // requests it may make are those of the user within the scope).
  std::string token_id;
  std::optional<TokenScope> scope;
};

struct TokenInfo {
  std::string id;  // public id (not the secret)
  std::string user_id;
  int64_t created_at = 0;  // ms
  int64_t expiration = 0;  // ms
  std::string description;
  std::optional<int64_t> last_use;  // ms, updated at most once a minute
  std::string client_id;            // XO's client.id given at creation; empty: none
  std::optional<TokenScope> scope;  // none: the user's full rights
};

struct CreatedToken {
  std::string token;  // the secret, shown once
  TokenInfo info;
};

class AuthStore {
 public:
  // Opens (creating if needed) the SQLite database `path` and migrates its tables.
  static Result<std::unique_ptr<AuthStore>> open(const std::string& path);
  // Takes the connection `db` and migrates its tables.
  static Result<std::unique_ptr<AuthStore>> open(std::unique_ptr<store::Db> db);
  // Uses the connection `db` (which must outlive the store) and migrates its tables.
  static Result<std::unique_ptr<AuthStore>> open(store::Db& db);

  Result<User> add_user(std::string_view name, std::string_view password,
                        std::string_view permission = "admin");
  Result<User> find_user(std::string_view id);
  Result<User> find_user_by_name(std::string_view name);
  Result<std::vector<User>> list_users();
  // kUnauthorized when the user is unknown or the password wrong.
  Result<User> check_password(std::string_view name, std::string_view password);

  // A non-empty `client_id` replaces the user's token of that client (XO refreshes it).
  Result<CreatedToken> create_token(std::string_view user_id, int64_t validity_ms,
                                    std::string_view description, int64_t now_ms,
                                    std::string_view client_id = {},
                                    const std::optional<TokenScope>& scope = std::nullopt);
  // The user owning a valid, unexpired token; kUnauthorized otherwise.
  // `expiration` (optional): the token's expiration, ms since the epoch.
  Result<User> check_token(std::string_view token, int64_t now_ms, int64_t* expiration = nullptr);
  // Tokens of one user, or of everyone when user_id is empty; oldest first.
  Result<std::vector<TokenInfo>> list_tokens(std::string_view user_id);
  // Deletes a token by public id (and owner when given); kNotFound if none matched.
  // Both bump the credentials generation (table auth_generation) in the same transaction;
  // serving processes then call CredentialCache::invalidate (the master follows the table).
  Status revoke_token(std::string_view token_id, std::string_view user_id);
  // Deletes a user and its tokens; kNotFound if no such user.
  Status delete_user(std::string_view user_id);
  // Changes what is given of a user's name, password (argon2id) and permission ("admin" |
  // "none"); kNotFound, kConflict (the name is taken), kInvalidArgument. Bumps the
  // credentials generation (a cached login under the old name, password or permission ends).
  struct UserChange {
    std::optional<std::string> name, password, permission;
  };
  Result<User> update_user(std::string_view user_id, const UserChange& change);
  // The credentials generation: grows with every revocation, user deletion or password change.
  static Result<int64_t> generation(store::Db& db);

 private:
  AuthStore(std::unique_ptr<store::Db> owned, store::Db* db) : owned_(std::move(owned)), db_(db) {}
  Result<User> user_where(std::string_view column, std::string_view value);
  std::unique_ptr<store::Db> owned_;  // null when borrowed
  store::Db* db_;
};

// Current wall-clock time in milliseconds.
int64_t now_ms();

}  // namespace xr::auth

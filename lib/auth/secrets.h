// Cryptographic helpers of the auth store (libsodium): random tokens, token hashes,
// argon2id password hashes, ids. Any thread. Password hashing blocks for ~0.1 s by design.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::auth {

using TokenHash = std::array<unsigned char, 32>;

// Initialises libsodium once; kInternal when the library cannot start.
Status init_crypto();
// 32 random bytes as 43 characters of base64url (XO's token format).
std::string new_token();
// Fast keyed-free BLAKE2b-256 of a token: what the store keeps instead of the token.
TokenHash hash_token(std::string_view token);
// Constant-time equality of two hashes.
bool hashes_equal(const TokenHash& a, std::string_view stored);
// The public id of a token: 16 base64url characters derived from its hash.
std::string token_id(const TokenHash& hash);
// argon2id (crypto_pwhash_str, interactive limits); kResourceExhausted when out of memory.
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& stored, std::string_view password);
// The hash of a random password, made once per process with hash_password's limits: what
// a login of an unknown user is verified against, so that it costs as much as a known one.
const std::string& unknown_user_hash();
// A random version-4 UUID, lower-case.
std::string new_uuid();

}  // namespace xr::auth

#include "auth/secrets.h"

#include <sodium.h>

#include <cstdio>

namespace xr::auth {

Status init_crypto() {
  if (sodium_init() < 0) return Status(ErrorKind::kInternal, "libsodium failed to initialise");
  return Status::ok();
}

namespace {
std::string base64url(const unsigned char* data, size_t size) {
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}
}  // namespace

std::string new_token() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  std::string t = base64url(raw, sizeof raw);
  sodium_memzero(raw, sizeof raw);
  return t;
}

TokenHash hash_token(std::string_view token) {
  TokenHash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return h;
}

bool hashes_equal(const TokenHash& a, std::string_view stored) {
  return stored.size() == a.size() && sodium_memcmp(a.data(), stored.data(), a.size()) == 0;
}

std::string token_id(const TokenHash& hash) { return base64url(hash.data(), 12); }

Result<std::string> hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status(ErrorKind::kResourceExhausted, "password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(const std::string& stored, std::string_view password) {
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

const std::string& unknown_user_hash() {
  static const std::string hash = [] {
    auto h = hash_password(new_token());
    return h.is_ok() ? *h : std::string("$argon2id$v=19$m=65536,t=2,p=1$invalid");
  }();
  return hash;
}

std::string new_uuid() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char s[37];
  std::snprintf(s, sizeof s,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return s;
}

}  // namespace xr::auth

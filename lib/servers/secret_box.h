// Passwords of servers added over REST, encrypted at rest (issue 10): libsodium's secretbox
// (XSalsa20-Poly1305) with a 32-byte key kept in a file of mode 0600 outside the database
// ([storage] secret_key_file, default <data_dir>/secret.key), so a copy of the database
// alone does not reveal them. Any thread; reads (and once creates) the key file.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::servers {

class SecretBox {
 public:
  // Reads the key at `path`; with `create`, makes a new random one (0600) when the file does
  // not exist. kIo / kInvalidArgument (a key file of the wrong size or open to others).
  static Result<SecretBox> open(const std::string& path, bool create);

  // base64 of nonce + ciphertext.
  std::string seal(std::string_view plain) const;
  // kInvalidArgument when the text was not sealed with this key.
  Result<std::string> open_sealed(std::string_view sealed) const;

 private:
  std::string key_;
};

}  // namespace xr::servers

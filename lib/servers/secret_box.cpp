#include "servers/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace xr::servers {

namespace {

Status io_error(const std::string& what, const std::string& path) {
  return Status(ErrorKind::kIo, what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> read_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return io_error("cannot open the secret key file", path);
  struct stat st {};
  std::string key(crypto_secretbox_KEYBYTES + 1, '\0');
  const ssize_t n = fstat(fd, &st) == 0 ? ::read(fd, key.data(), key.size()) : -1;
  ::close(fd);
  if (n < 0) return io_error("cannot read the secret key file", path);
  if ((st.st_mode & 077) != 0) {
    return Status(ErrorKind::kInvalidArgument, "the secret key file " + path + " must be readable by its owner only (0600)");
  }
  if (static_cast<size_t>(n) != crypto_secretbox_KEYBYTES) {
    return Status(ErrorKind::kInvalidArgument, "the secret key file " + path + " does not hold a 32-byte key");
  }
  key.resize(crypto_secretbox_KEYBYTES);
  return key;
}

Status create_key(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return errno == EEXIST ? Status::ok() : io_error("cannot create the secret key file", path);
  unsigned char key[crypto_secretbox_KEYBYTES];
  crypto_secretbox_keygen(key);
  const bool ok = ::write(fd, key, sizeof key) == static_cast<ssize_t>(sizeof key) && fsync(fd) == 0;
  sodium_memzero(key, sizeof key);
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return io_error("cannot write the secret key file", path);
  }
  return Status::ok();
}

}  // namespace

Result<SecretBox> SecretBox::open(const std::string& path, bool create) {
  if (sodium_init() < 0) return Status(ErrorKind::kInternal, "libsodium cannot start");
  if (create) XR_RETURN_IF_ERROR(create_key(path));
  SecretBox box;
  XR_ASSIGN_OR_RETURN(box.key_, read_key(path));
  return box;
}

std::string SecretBox::seal(std::string_view plain) const {
  std::vector<unsigned char> out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
  randombytes_buf(out.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out.data() + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), out.data(), reinterpret_cast<const unsigned char*>(key_.data()));
  std::string b64(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), out.data(), out.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(std::strlen(b64.c_str()));
  return b64;
}

Result<std::string> SecretBox::open_sealed(std::string_view sealed) const {
  std::vector<unsigned char> bin(sealed.size());
  size_t n = 0;
  if (sodium_base642bin(bin.data(), bin.size(), sealed.data(), sealed.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status(ErrorKind::kInvalidArgument, "not a sealed secret");
  }
  std::string plain(n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), bin.data() + crypto_secretbox_NONCEBYTES,
                                 n - crypto_secretbox_NONCEBYTES, bin.data(),
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return Status(ErrorKind::kInvalidArgument, "the secret was not sealed with this key (wrong secret key file?)");
  }
  return plain;
}

}  // namespace xr::servers

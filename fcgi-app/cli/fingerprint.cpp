// `xapi-rest pool-fingerprint HOST[:PORT]`: the public-key pin of a pool master's TLS
// certificate, in the form `[[pool]] fingerprint` takes (curl's pinned public key:
// "sha256//" + base64 of the SHA-256 of the DER SubjectPublicKeyInfo).
//
// It connects without verifying anything (that is the point: XCP-ng's certificate is
// self-signed), so the printed key must be checked out of band; stderr says how.

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace xr::app {
namespace {

int fail(const std::string& message) {
  std::cerr << "xapi-rest: " << message << "\n";
  return 1;
}

struct Target {
  std::string host;
  std::string port = "443";
};

// "host", "host:port", "[v6]:port", "https://host[:port][/...]"; false on anything else.
bool parse_target(std::string text, Target* out) {
  if (text.rfind("https://", 0) == 0) text = text.substr(8);
  if (const auto slash = text.find('/'); slash != std::string::npos) text.resize(slash);
  std::string host = text, port = "443";
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else if (const auto colon = text.find(':'); colon != std::string::npos) {
    if (text.find(':', colon + 1) != std::string::npos) return false;  // bare IPv6: use [..]
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || host.size() > 253 || port.empty() || port.size() > 5) return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_')) return false;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (std::stoi(port) < 1 || std::stoi(port) > 65535) return false;
  out->host = host;
  out->port = port;
  return true;
}

// A connected TCP socket within `timeout_ms`, or -1 with `*why` set.
int connect_to(const Target& t, int timeout_ms, std::string* why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &list); rc != 0) {
    *why = "cannot resolve " + t.host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(list, freeaddrinfo);
  *why = "no address for " + t.host;
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int err = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        err = poll(&p, 1, timeout_ms) == 1 ? 0 : ETIMEDOUT;
        socklen_t len = sizeof(err);
        if (err == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err == 0) {
      // Back to blocking, with the same bound on every read and write of the handshake.
      timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      const int flags = fcntl(fd, F_GETFL);
      fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
      return fd;
    }
    *why = "cannot connect to " + t.host + ":" + t.port + ": " + std::strerror(err);
    close(fd);
  }
  return -1;
}

std::string base64(const unsigned char* data, int size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, size);
  out.resize(n);
  return out;
}

std::string name_of(const X509_NAME* name) {
  char buf[512];
  X509_NAME_oneline(name, buf, sizeof(buf));
  return buf;
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return errno != 0 ? std::strerror(errno) : "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

}  // namespace

int run_pool_fingerprint(const std::vector<std::string>& in) {
  std::vector<std::string> args = in;
  const std::string timeout_text = take_option(args, "--timeout", "10");
  if (args.size() != 1) return fail("usage: xapi-rest pool-fingerprint HOST[:PORT] [--timeout SECONDS]");
  Target target;
  if (!parse_target(args[0], &target))
    return fail("not a host[:port]: " + args[0] + " (an IPv6 address goes in brackets: [fd00::1]:443)");
  int timeout_s = 0;
  try {
    timeout_s = std::stoi(timeout_text);
  } catch (...) {
  }
  if (timeout_s < 1 || timeout_s > 300) return fail("--timeout: seconds from 1 to 300, got " + timeout_text);

  std::string why;
  const int fd = connect_to(target, timeout_s * 1000, &why);
  if (fd < 0) return fail(why);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  if (!target.host.empty() && !std::isdigit(static_cast<unsigned char>(target.host.back())) &&
      target.host.find(':') == std::string::npos)
    SSL_set_tlsext_host_name(ssl.get(), target.host.c_str());  // SNI for names, not addresses
  errno = 0;
  if (SSL_connect(ssl.get()) != 1) {
    const std::string err = openssl_error();
    close(fd);
    return fail("TLS handshake with " + target.host + ":" + target.port + " failed: " + err);
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl.get()), X509_free);
  SSL_shutdown(ssl.get());
  close(fd);
  if (!cert) return fail(target.host + ":" + target.port + " sent no certificate");

  unsigned char* der = nullptr;
  const int der_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &der);
  if (der_size <= 0) return fail("cannot encode the certificate's public key");
  unsigned char key_hash[EVP_MAX_MD_SIZE];
  unsigned int key_hash_size = 0;
  EVP_Digest(der, der_size, key_hash, &key_hash_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  unsigned char cert_hash[EVP_MAX_MD_SIZE];
  unsigned int cert_hash_size = 0;
  X509_digest(cert.get(), EVP_sha256(), cert_hash, &cert_hash_size);
  std::string cert_hex;
  for (unsigned int i = 0; i < cert_hash_size; ++i) {
    static const char kHex[] = "0123456789ABCDEF";
    if (i) cert_hex += ':';
    cert_hex += kHex[cert_hash[i] >> 4];
    cert_hex += kHex[cert_hash[i] & 15];
  }

  // stderr: what to check out of band; stdout: the two lines of the [[pool]] table.
  std::cerr << "# " << target.host << ":" << target.port << " presented (NOT verified: check it out of band)\n"
            << "#   subject " << name_of(X509_get_subject_name(cert.get())) << "\n"
            << "#   issuer  " << name_of(X509_get_issuer_name(cert.get())) << "\n"
            << "#   certificate SHA-256 " << cert_hex << "\n"
            << "# on the master: openssl x509 -in /etc/xensource/xapi-ssl.pem -pubkey -noout"
               " | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64\n";
  std::cout << "tls = \"fingerprint\"\n"
            << "fingerprint = \"sha256//" << base64(key_hash, static_cast<int>(key_hash_size)) << "\"\n";
  return 0;
}

}  // namespace xr::app

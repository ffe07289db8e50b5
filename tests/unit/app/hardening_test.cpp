#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "worker/acceptor.h"
#include "worker/login_guard.h"
#include "worker/request.h"
#include "worker/response.h"

using namespace xr;
using namespace xr::app;

BOOST_AUTO_TEST_SUITE(app_hardening)

namespace {
// One FastCGI record: version 1, type, request id 1, content, no padding.
std::string record(unsigned char type, const std::string& content) {
  std::string r = {1, static_cast<char>(type), 0, 1, static_cast<char>(content.size() >> 8),
                   static_cast<char>(content.size() & 0xff), 0, 0};
  return r + content;
}
Acceptor::Head head_of(const std::string& bytes) {
  return Acceptor::parse_head(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_request_head_is_whole_once_its_parameters_end) {
  const std::string begin = record(1, std::string("\0\1\0\0\0\0\0\0", 8));
  const std::string params = record(4, std::string("\x0b\x03REQUEST_URI/vm"));
  BOOST_TEST((head_of(begin.substr(0, 4)) == Acceptor::Head::kIncomplete));  // half a header
  BOOST_TEST((head_of(begin) == Acceptor::Head::kIncomplete));
  BOOST_TEST((head_of(begin + params) == Acceptor::Head::kIncomplete));
  BOOST_TEST((head_of(begin + params + record(4, "").substr(0, 7)) == Acceptor::Head::kIncomplete));
  BOOST_TEST((head_of(begin + params + record(4, "")) == Acceptor::Head::kComplete));
  BOOST_TEST((head_of(begin + params + record(4, "") + record(5, "")) == Acceptor::Head::kComplete));
  BOOST_TEST((head_of(begin + params + record(5, "")) == Acceptor::Head::kComplete));  // libfcgi decides
  BOOST_TEST((head_of(params) == Acceptor::Head::kBad));                        // no FCGI_BEGIN_REQUEST
  BOOST_TEST((head_of(begin + begin) == Acceptor::Head::kBad));
  std::string v0 = begin;
  v0[0] = 0;
  BOOST_TEST((head_of(v0) == Acceptor::Head::kBad));
}

BOOST_AUTO_TEST_CASE(a_request_head_over_60_kib_is_too_large) {
  std::string bytes = record(1, std::string(8, '\0'));
  const std::string piece = record(4, std::string(30000, 'a'));
  bytes += piece + piece + piece;  // the third record ends past 60 KiB
  BOOST_TEST((head_of(bytes) == Acceptor::Head::kTooLarge));
  BOOST_TEST((head_of(bytes.substr(0, 16 + 2 * 30008)) == Acceptor::Head::kIncomplete));
  BOOST_TEST((head_of(bytes.substr(0, 16 + 2 * 30008 + 8)) == Acceptor::Head::kTooLarge));  // announced
  BOOST_TEST((head_of(record(1, std::string(8, '\0')) + record(4, std::string(65535, 'a')).substr(0, 8)) ==
              Acceptor::Head::kTooLarge));
}

BOOST_AUTO_TEST_CASE(basic_credentials_decode_any_scheme_and_need_a_colon) {
  BOOST_TEST(*basic_credentials("Basic YWRtaW46cHc6eA==") == "admin:pw:x");
  BOOST_TEST(*basic_credentials("Bearer YWRtaW46cHc=") == "admin:pw");
  BOOST_TEST((basic_credentials("Basic").status().kind() == ErrorKind::kInvalidArgument));
  BOOST_TEST((basic_credentials("Basic YWRtaW4=").status().kind() == ErrorKind::kUnauthorized));  // "admin"
  BOOST_TEST((basic_credentials("Basic ####").status().kind() == ErrorKind::kUnauthorized));
}

BOOST_AUTO_TEST_CASE(url_encode_never_lets_controls_or_non_ascii_through) {
  BOOST_TEST(url_encode("x\r\nSet-Cookie: a=1", "/:=") == "x%0D%0ASet-Cookie:%20a=1");
  BOOST_TEST(url_encode("/a/b%c", "/") == "/a/b%25c");
  BOOST_TEST(url_encode("a=1&b=%41", "=&%") == "a=1&b=%41");
  BOOST_TEST(url_encode(std::string_view("\xc3\xa9\x00\x7f", 4), "") == "%C3%A9%00%7F");
  BOOST_TEST(url_encode("AZaz09-._~", "") == "AZaz09-._~");
}

BOOST_AUTO_TEST_CASE(header_fields_with_cr_lf_or_bad_names_are_refused) {
  BOOST_TEST(header_field_ok("Location", "/rest/v0/users/1?a=b c\td"));
  BOOST_TEST(!header_field_ok("Location", "/x\r\nSet-Cookie: a=1"));
  BOOST_TEST(!header_field_ok("Location", "/x\nX: 1"));
  BOOST_TEST(!header_field_ok("Location", std::string_view("/x\0y", 4)));
  BOOST_TEST(!header_field_ok("Bad Name", "v"));
  BOOST_TEST(!header_field_ok("Bad:Name", "v"));
  BOOST_TEST(!header_field_ok("", "v"));
}

BOOST_AUTO_TEST_CASE(login_guard_throttles_user_and_address_for_2s_without_extending) {
  std::atomic<uint32_t> slots[LoginGuard::kMaxSlots] = {};
  LoginGuard g(slots, 2);
  const auto t0 = LoginGuard::Clock::now();
  int retry = 0;
  BOOST_TEST(g.admit("admin", "10.0.0.1", t0, &retry).is_ok());
  g.failed("admin", "10.0.0.1", t0);
  Status s = g.admit("admin", "10.0.0.2", t0 + std::chrono::milliseconds(100), &retry);
  BOOST_TEST((s.kind() == ErrorKind::kTooManyRequests));
  BOOST_TEST(s.message() == "too fast authentication tries");
  BOOST_TEST(retry == 2);
  BOOST_TEST(!g.admit("other", "10.0.0.1", t0 + std::chrono::milliseconds(1500), &retry).is_ok());
  BOOST_TEST(retry == 1);
  BOOST_TEST(g.admit("other", "10.0.0.2", t0, &retry).is_ok());
  // Refused attempts did not extend the window.
  BOOST_TEST(g.admit("admin", "10.0.0.1", t0 + std::chrono::milliseconds(2000), &retry).is_ok());
  g.failed("admin", "10.0.0.1", t0);
  g.succeeded("admin");
  BOOST_TEST(g.admit("admin", "10.0.0.3", t0, &retry).is_ok());
}

BOOST_AUTO_TEST_CASE(login_guard_bounds_hash_slots_and_reclaims_dead_holders) {
  std::atomic<uint32_t> slots[LoginGuard::kMaxSlots] = {};
  LoginGuard g(slots, 2);
  auto a = g.take_slot(std::chrono::milliseconds(0));
  auto b = g.take_slot(std::chrono::milliseconds(0));
  BOOST_REQUIRE(a.is_ok());
  BOOST_REQUIRE(b.is_ok());
  auto c = g.take_slot(std::chrono::milliseconds(20));
  BOOST_TEST((c.status().kind() == ErrorKind::kUnavailable));
  { auto gone = std::move(*a); }  // released
  BOOST_TEST(g.take_slot(std::chrono::milliseconds(0)).is_ok());
  // A slot held by a thread id that does not exist (a killed worker) is taken back.
  slots[0].store(0x3ffffff0u);
  slots[1].store(0x3ffffff1u);
  BOOST_TEST(g.take_slot(std::chrono::milliseconds(0)).is_ok());
}

BOOST_AUTO_TEST_CASE(log_escape_keeps_lines_single) {
  BOOST_TEST(log_escape("ghost\nuser") == "ghost\\x0auser");
  BOOST_TEST(log_escape("a\"b\\") == "a\\x22b\\x5c");
}

namespace {
// A listening unix socket in the abstract namespace (nothing on disk), unique per call.
int listen_abstract() {
  static std::atomic<int> n{0};
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name = "xr-acceptor-test-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  BOOST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  BOOST_REQUIRE(listen(fd, 64) == 0);
  return fd;
}
int connect_to(int listener) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  return fd;
}
}  // namespace

// A connection queued when a serving process stops may have woken only that process (the
// listening socket's wake-up is exclusive: the other processes sharing it are not woken for
// it); the stopping process must serve it rather than leave it in the backlog, unanswered
// until another connection comes (a request sent during a reload waited for nginx's timeout).
BOOST_AUTO_TEST_CASE(a_stopping_acceptor_serves_the_connection_queued_for_it) {
  const std::string head = record(1, std::string("\0\1\0\0\0\0\0\0", 8)) + record(4, "");
  const int listener = listen_abstract();
  {
    Acceptor stopping(listener, 5);
    stopping.start();
    const int client = connect_to(listener);
    BOOST_REQUIRE(write(client, head.data(), head.size()) == static_cast<ssize_t>(head.size()));
    stopping.stop();
    bool accept_first = false;
    const int fd = stopping.next(accept_first);
    BOOST_REQUIRE(fd >= 0);
    BOOST_TEST(write(fd, "x", 1) == 1);
    close(fd);
    char c = 0;
    BOOST_TEST(read(client, &c, 1) == 1);
    BOOST_TEST(c == 'x');
    BOOST_TEST(stopping.next(accept_first) == -1);  // nothing else: the thread leaves
    close(client);
  }
  close(listener);
}

BOOST_AUTO_TEST_SUITE_END()

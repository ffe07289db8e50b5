#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>

#include "config/duration.h"
#include "config/loader.h"
#include "config/schema.h"

using namespace xr;
using namespace xr::config;

namespace {

// The source tree, found from this file's path (CMake compiles with absolute paths).
std::string source_dir() { return XR_SOURCE_DIR; }

std::string shipped_config_text() {
  std::ifstream in(source_dir() + "/packaging/xapi-rest.toml");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Returns the error message of parsing `text`, or "" when it parsed.
std::string error_of(const std::string& text) {
  auto r = parse_config(text, "t.toml");
  return r ? "" : r.status().message();
}

const char* kPool = "[[pool]]\nurl = \"https://10.0.0.1\"\nuser = \"root\"\npassword = \"pw\"\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(shipped_config_parses_to_the_defaults) {
  std::string text = shipped_config_text();
  BOOST_REQUIRE(!text.empty());
  auto r = parse_config(text, "xapi-rest.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  Config d;
  BOOST_TEST(r->socket == d.socket);
  BOOST_TEST(r->workers == d.workers);
  BOOST_TEST(r->pools.empty());
}

BOOST_AUTO_TEST_CASE(shipped_config_lists_every_key_with_its_default) {
  std::string text = shipped_config_text();
  Config defaults;
  for (const auto& k : config_keys()) {
    std::string name(k.key.substr(k.key.find('.') + 1));
    std::string value = k.type == KeyType::kString ? "\"" + std::string(k.default_text) + "\""
                                                   : std::string(k.default_text);
    BOOST_TEST_CONTEXT(k.key) {
      BOOST_TEST(text.find("# " + name + " = " + value + "\n") != std::string::npos);
      // The table's default text is the struct's default value.
      if (k.type == KeyType::kString) {
        const std::string& v = defaults.*std::get<std::string Config::*>(k.field);
        BOOST_TEST(v == k.default_text);
      } else if (k.type == KeyType::kBoolean) {
        const bool v = defaults.*std::get<bool Config::*>(k.field);
        BOOST_TEST((v ? "true" : "false") == k.default_text);
      } else {
        const int64_t v = defaults.*std::get<int64_t Config::*>(k.field);
        BOOST_TEST(std::to_string(v) == k.default_text);
      }
    }
  }
  for (const auto& k : pool_keys()) {
    BOOST_TEST(text.find("# " + std::string(k.key) + " = ") != std::string::npos, k.key);
  }
}

BOOST_AUTO_TEST_CASE(role_sockets_default_next_to_the_server_socket) {
  auto r = parse_config(std::string("[server]\nsocket = \"/run/x/fcgi.sock\"\n") + kPool, "t.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_TEST(r->role_socket_path("stream", r->stream_socket) == "/run/x/stream.sock");
  r = parse_config(std::string("[stream]\nsocket = \"/tmp/s.sock\"\n") + kPool, "t.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_TEST(r->role_socket_path("stream", r->stream_socket) == "/tmp/s.sock");
  BOOST_TEST(error_of(std::string("[server]\nsocket = \"/a/b.sock\"\n[stream]\nsocket = \"/a/b.sock\"\n") +
                      kPool) == "t.toml:4: stream.socket: must differ from server.socket");
}

BOOST_AUTO_TEST_CASE(booleans_are_toml_booleans) {
  auto r = parse_config(std::string("[mcp]\nenabled = false\n") + kPool, "t.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_TEST(!r->mcp_enabled);
  BOOST_TEST(Config().mcp_enabled);
  BOOST_TEST(error_of(std::string("[mcp]\nenabled = \"no\"\n") + kPool) ==
             "t.toml:2: mcp.enabled: expected true or false");
}

BOOST_AUTO_TEST_CASE(values_are_read_into_the_struct) {
  auto r = parse_config(std::string("[server]\nworkers = 4\nthreads = 3\nsocket = \"/tmp/x.sock\"\n"
                                    "[log]\nlevel = \"debug\"\n") + kPool,
                        "t.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_TEST(r->workers == 4);
  BOOST_TEST(r->threads == 3);
  BOOST_TEST(r->socket == "/tmp/x.sock");
  BOOST_TEST(r->log_level == "debug");
  BOOST_REQUIRE(r->pools.size() == 1u);
  BOOST_TEST(r->pools[0].name == "10.0.0.1");
  BOOST_TEST(r->pools[0].password == "pw");
  BOOST_TEST((r->pools[0].tls_mode() == TlsMode::kVerify));
}

// A pool behind a slow WAN link gets its own connect and login bounds (issue 21).
BOOST_AUTO_TEST_CASE(pool_timeouts_default_and_are_read_per_pool) {
  auto r = parse_config(std::string(kPool) + "name = \"a\"\nconnect_timeout = 30\nlogin_timeout = 45\n" + kPool +
                            "name = \"b\"\n", "t.toml");
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_REQUIRE(r->pools.size() == 2u);
  BOOST_TEST(r->pools[0].connect_timeout == 30);
  BOOST_TEST(r->pools[0].login_timeout == 45);
  BOOST_TEST(r->pools[1].connect_timeout == 10);
  BOOST_TEST(r->pools[1].login_timeout == 15);
}

BOOST_AUTO_TEST_CASE(unknown_key_is_named_with_its_line) {
  BOOST_TEST(error_of("[server]\nworkers = 2\nwokers = 3\n") == "t.toml:3: server.wokers: unknown key");
  BOOST_TEST(error_of("[serve]\nx = 1\n") == "t.toml:2: serve.x: unknown key");
}

BOOST_AUTO_TEST_CASE(out_of_range_integer_is_rejected) {
  BOOST_TEST(error_of("\n[server]\nworkers = 0\n") ==
             "t.toml:3: server.workers: 0 is out of range [1, 64]");
}

BOOST_AUTO_TEST_CASE(wrong_type_is_rejected) {
  BOOST_TEST(error_of("[server]\nthreads = \"8\"\n") == "t.toml:2: server.threads: expected an integer");
  BOOST_TEST(error_of("[log]\nlevel = 3\n") == "t.toml:2: log.level: expected a string");
}

BOOST_AUTO_TEST_CASE(choice_outside_the_list_is_rejected) {
  BOOST_TEST(error_of("[log]\nlevel = \"loud\"\n") ==
             "t.toml:2: log.level: \"loud\" is not one of debug|info|warn|error");
}

BOOST_AUTO_TEST_CASE(bad_socket_mode_is_rejected) {
  BOOST_TEST(error_of("[server]\nsocket_mode = \"0999\"\n").find("server.socket_mode") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(toml_syntax_error_names_the_line) {
  std::string e = error_of("[server]\nworkers = = 2\n");
  BOOST_TEST(e.rfind("t.toml:2: ", 0) == 0u, e);
}

BOOST_AUTO_TEST_CASE(pool_needs_url_user_and_one_password) {
  BOOST_TEST(error_of("[[pool]]\nuser = \"root\"\npassword = \"x\"\n") ==
             "t.toml:1: pool[0].url: is required");
  BOOST_TEST(error_of("[[pool]]\nurl = \"h\"\npassword = \"x\"\n") ==
             "t.toml:1: pool[0].user: is required");
  BOOST_TEST(error_of("[[pool]]\nurl = \"h\"\nuser = \"u\"\n") ==
             "t.toml:1: pool[0].password: give exactly one of password and password_file");
  BOOST_TEST(error_of(std::string(kPool) + "[[pool]]\nurl = \"h\"\nuser = \"u\"\npassword = \"p\"\n"
                      "bogus = 1\n") == "t.toml:9: pool[1].bogus: unknown key");
}

BOOST_AUTO_TEST_CASE(pool_tls_modes_are_checked) {
  BOOST_TEST(error_of(std::string(kPool) + "tls = \"fingerprint\"\n") ==
             "t.toml:5: pool[0].fingerprint: is required with tls = \"fingerprint\"");
  BOOST_TEST(error_of(std::string(kPool) + "tls = \"none\"\n") ==
             "t.toml:5: pool[0].tls: \"none\" is not one of verify|fingerprint|insecure");
  BOOST_TEST(error_of(std::string(kPool) + "tls = \"fingerprint\"\nfingerprint = \"AB:CD\"\n") ==
             "t.toml:6: pool[0].fingerprint: must be a public-key pin like sha256//BASE64");
  auto pinned = parse_config(std::string(kPool) + "tls = \"fingerprint\"\nfingerprint = \"sha256//abc=\"\n", "t.toml");
  BOOST_TEST(pinned.is_ok());
  auto r = parse_config(std::string(kPool) + "tls = \"insecure\"\n", "t.toml");
  BOOST_REQUIRE(r.is_ok());
  BOOST_TEST((r->pools[0].tls_mode() == TlsMode::kInsecure));
}

BOOST_AUTO_TEST_CASE(duplicate_pool_names_are_rejected) {
  std::string two = std::string(kPool) + kPool;
  BOOST_TEST(error_of(two) == "t.toml:5: pool[1].name: \"10.0.0.1\" is used by two pools");
}

BOOST_AUTO_TEST_CASE(password_file_is_read_relative_to_the_config) {
  char dir[] = "/tmp/xr-config-test.XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir) != nullptr);
  std::string d = dir;
  { std::ofstream(d + "/pw") << "s3cret\n"; }
  { std::ofstream(d + "/c.toml") << "[[pool]]\nurl = \"h\"\nuser = \"u\"\npassword_file = \"pw\"\n"; }
  auto r = load_config(d + "/c.toml");
  BOOST_TEST(r.is_ok());
  if (r) BOOST_TEST(r->pools[0].password == "s3cret");
  { std::ofstream(d + "/c.toml") << "[[pool]]\nurl = \"h\"\nuser = \"u\"\npassword_file = \"nope\"\n"; }
  auto bad = load_config(d + "/c.toml");
  BOOST_TEST(!bad.is_ok());
  BOOST_TEST(bad.status().message().find(":4: pool[0].password_file: cannot read") != std::string::npos);
  std::remove((d + "/pw").c_str());
  std::remove((d + "/c.toml").c_str());
  rmdir(dir);
}

BOOST_AUTO_TEST_CASE(durations_parse_with_units) {
  BOOST_TEST(*parse_duration_ms("30d") == 30LL * 86400000);
  BOOST_TEST(*parse_duration_ms("90s") == 90000);
  BOOST_TEST(*parse_duration_ms("1500") == 1500);
  BOOST_TEST(!parse_duration_ms("abc").is_ok());
  BOOST_TEST(!parse_duration_ms("").is_ok());
  BOOST_TEST(!parse_duration_ms("30 fortnights").is_ok());
}

// XO's parser is the npm `ms` package: words, spaces, any case, fractions, years of 365.25 d.
BOOST_AUTO_TEST_CASE(durations_parse_as_xo_ms_package) {
  BOOST_TEST(*parse_duration_ms("1 hour") == 3600000);
  BOOST_TEST(*parse_duration_ms("2 hours") == 7200000);
  BOOST_TEST(*parse_duration_ms("30 minutes") == 1800000);
  BOOST_TEST(*parse_duration_ms("1 day") == 86400000);
  BOOST_TEST(*parse_duration_ms("2  Days") == 2 * 86400000LL);
  BOOST_TEST(*parse_duration_ms("1.5h") == 5400000);
  BOOST_TEST(*parse_duration_ms(".5s") == 500);
  BOOST_TEST(*parse_duration_ms("1y") == 31557600000LL);
  BOOST_TEST(*parse_duration_ms("2 weeks") == 14 * 86400000LL);
  BOOST_TEST(*parse_duration_ms("10 msecs") == 10);
  BOOST_TEST(*parse_duration_ms("3 HRS") == 3 * 3600000);
  BOOST_TEST(*parse_duration_ms("-1d") == -86400000LL);  // parsed; token rules refuse it
  BOOST_TEST(!parse_duration_ms("5.d").is_ok());
  BOOST_TEST(!parse_duration_ms("1 hour ").is_ok());
  BOOST_TEST(!parse_duration_ms(" 1h").is_ok());
  BOOST_TEST(!parse_duration_ms("1h30m").is_ok());
  BOOST_TEST(!parse_duration_ms("1e3").is_ok());
  BOOST_TEST(!parse_duration_ms(std::string(101, '1')).is_ok());
}

// [storage]: sqlite by default; postgresql needs a connection string; the password comes
// from a file (first line), relative to the config, never required in the string.
BOOST_AUTO_TEST_CASE(storage_backend_postgresql_needs_a_connection_and_reads_its_password_file) {
  auto d0 = parse_config("", "t.toml");
  BOOST_REQUIRE(d0.is_ok());
  BOOST_TEST(d0->storage_backend == "sqlite");
  BOOST_TEST(error_of("[storage]\nbackend = \"mysql\"\n") ==
             "t.toml:2: storage.backend: \"mysql\" is not one of sqlite|postgresql");
  BOOST_TEST(error_of("[storage]\nbackend = \"postgresql\"\n") ==
             "t.toml:2: storage.connection: is required with backend = \"postgresql\"");
  char tmpl[] = "/tmp/xr-config-test.XXXXXX";
  std::string d = mkdtemp(tmpl);
  { std::ofstream(d + "/pgpw") << "s3cret\r\nignored\n"; }
  { std::ofstream(d + "/c.toml") << "[storage]\nbackend = \"postgresql\"\nconnection = \"host=db dbname=x\"\npassword_file = \"pgpw\"\n"; }
  auto ok = load_config(d + "/c.toml");
  BOOST_REQUIRE_MESSAGE(ok.is_ok(), ok.status().to_string());
  BOOST_TEST(ok->storage_connection == "host=db dbname=x");
  BOOST_TEST(ok->storage_password == "s3cret");
  { std::ofstream(d + "/c.toml") << "[storage]\nbackend = \"postgresql\"\nconnection = \"host=db\"\npassword_file = \"none\"\n"; }
  auto bad = load_config(d + "/c.toml");
  BOOST_TEST(bad.status().message().find(":4: storage.password_file: cannot read") != std::string::npos);
  std::filesystem::remove_all(d);
}

BOOST_AUTO_TEST_SUITE_END()

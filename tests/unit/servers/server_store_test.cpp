#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "servers/secret_box.h"
#include "servers/server_store.h"
#include "store/sqlite_db.h"

using namespace xr;
using namespace xr::servers;

namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/xr-servers-test.XXXXXX";
    dir = mkdtemp(tmpl);
    auto r = store::open_sqlite(dir + "/t.db");
    BOOST_REQUIRE(r.is_ok());
    db = std::move(r).value();
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
  std::string dir;
  std::unique_ptr<store::Db> db;
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(sealed_passwords_open_only_with_their_key_file, Fixture) {
  auto box = SecretBox::open(dir + "/secret.key", true);
  BOOST_REQUIRE_MESSAGE(box.is_ok(), box.status().to_string());
  struct stat st {};
  BOOST_REQUIRE(stat((dir + "/secret.key").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(st.st_size == 32);
  const std::string sealed = box->seal("pool password");
  BOOST_TEST(sealed.find("pool password") == std::string::npos);
  BOOST_TEST(box->seal("pool password") != sealed);  // a new nonce each time
  BOOST_TEST(*box->open_sealed(sealed) == "pool password");
  // the same file again (no create): the same key
  BOOST_TEST(*SecretBox::open(dir + "/secret.key", false)->open_sealed(sealed) == "pool password");
  auto other = SecretBox::open(dir + "/other.key", true);
  BOOST_TEST(!other->open_sealed(sealed).is_ok());
  BOOST_TEST(!box->open_sealed("not base64 !").is_ok());
  chmod((dir + "/secret.key").c_str(), 0644);
  BOOST_TEST(!SecretBox::open(dir + "/secret.key", false).is_ok());  // open to others: refused
  BOOST_TEST(!SecretBox::open(dir + "/missing.key", false).is_ok());
}

BOOST_FIXTURE_TEST_CASE(servers_are_stored_unique_by_host_and_merged_into_the_pools, Fixture) {
  auto store = ServerStore::open(*db);
  BOOST_REQUIRE(store.is_ok());
  auto box = SecretBox::open(dir + "/secret.key", true);
  StoredServer a{"id-a", "A", "xcp-a", "root", box->seal("pw-a"), true, false, true, 1};
  BOOST_REQUIRE((*store)->add(a).is_ok());
  StoredServer dup = a;
  dup.id = "id-b";
  BOOST_TEST(static_cast<int>((*store)->add(dup).kind()) == static_cast<int>(ErrorKind::kConflict));
  a.read_only = true;
  a.enabled = false;
  a.label = "A2";
  BOOST_REQUIRE((*store)->update(a).is_ok());
  BOOST_TEST((*store)->get("id-a")->label == "A2");
  config::Config cfg;
  cfg.pools.push_back(config::PoolConfig{});
  cfg.pools.back().name = "file-pool";
  std::vector<std::string> warnings;
  BOOST_REQUIRE(merge_stored_servers(*db, *box, &cfg, &warnings).is_ok());
  BOOST_REQUIRE(cfg.pools.size() == 2u);
  const config::PoolConfig& p = cfg.pools[1];
  BOOST_TEST(p.name == "id-a");
  BOOST_TEST(p.label == "A2");
  BOOST_TEST(p.url == "https://xcp-a");
  BOOST_TEST(p.password == "pw-a");
  BOOST_TEST(p.tls == "insecure");
  BOOST_TEST((p.read_only && !p.enabled && p.from_store));
  BOOST_TEST(!cfg.pools[0].from_store);
  BOOST_REQUIRE((*store)->remove("id-a").is_ok());
  BOOST_TEST(static_cast<int>((*store)->remove("id-a").kind()) == static_cast<int>(ErrorKind::kNotFound));
}

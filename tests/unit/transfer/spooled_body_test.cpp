#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "transfer/spooled_body.h"
#include "transfer_test_util.h"

using namespace xr;
using namespace xr::transfer;
using namespace xr::transfer::test;

BOOST_AUTO_TEST_SUITE(spooled_body)

BOOST_AUTO_TEST_CASE(a_body_file_in_the_spool_is_opened_and_removed_at_once) {
  TempDir spool;
  std::filesystem::create_directories(spool.path + "/3/12");
  std::string p = spool.file("3/12/0000000123", "payload");
  {
    Result<SpooledBody> b = SpooledBody::open(p, spool.path);
    BOOST_REQUIRE_MESSAGE(b.is_ok(), b.status().to_string());
    BOOST_CHECK_EQUAL(b->size(), 7u);
    BOOST_CHECK(!std::filesystem::exists(p));  // gone from disk, still readable
    char buf[7];
    BOOST_CHECK_EQUAL(::pread(b->fd(), buf, 7, 0), 7);
    BOOST_CHECK_EQUAL(std::string(buf, 7), "payload");
  }
}

BOOST_AUTO_TEST_CASE(paths_outside_the_spool_or_not_nginx_files_are_refused_untouched) {
  TempDir spool, other;
  std::string outside = other.file("0000000001", "secret");
  auto kind = [&](const std::string& path) { return SpooledBody::open(path, spool.path).status().kind(); };
  BOOST_CHECK(kind(outside) == ErrorKind::kInvalidArgument);
  BOOST_CHECK(kind(spool.path + "/../" + std::filesystem::path(other.path).filename().string() +
                   "/0000000001") == ErrorKind::kInvalidArgument);
  BOOST_CHECK(kind("relative/0000000001") == ErrorKind::kInvalidArgument);
  BOOST_CHECK(kind(spool.file("upload.bin", "x")) == ErrorKind::kInvalidArgument);
  std::filesystem::create_symlink(outside, spool.path + "/0000000002");
  BOOST_CHECK(kind(spool.path + "/0000000002") == ErrorKind::kInvalidArgument);
  std::filesystem::create_directory_symlink(other.path, spool.path + "/7");
  BOOST_CHECK(kind(spool.path + "/7/0000000001") == ErrorKind::kInvalidArgument);
  BOOST_CHECK(std::filesystem::exists(outside));
  BOOST_CHECK(kind(spool.path + "/0000000009") == ErrorKind::kNotFound);
  BOOST_REQUIRE_EQUAL(::mkfifo((spool.path + "/0000000010").c_str(), 0600), 0);
  BOOST_CHECK(kind(spool.path + "/0000000010") == ErrorKind::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

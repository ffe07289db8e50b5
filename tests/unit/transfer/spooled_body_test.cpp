#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
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

#include "transfer/slot_table.h"

BOOST_AUTO_TEST_SUITE(slot_table)

BOOST_AUTO_TEST_CASE(slots_are_exclusive_bounded_and_freed_when_dropped) {
  TempDir dir;
  SlotTable table(dir.path, 2);
  auto a = table.try_acquire();
  auto b = table.try_acquire();
  BOOST_REQUIRE(a.is_ok() && b.is_ok() && a->has_value() && b->has_value());
  BOOST_CHECK_NE((*a)->index(), (*b)->index());
  auto c = table.try_acquire();
  BOOST_REQUIRE(c.is_ok());
  BOOST_CHECK(!c->has_value());  // full
  BOOST_CHECK_EQUAL(table.held(), 2);
  a->reset();
  auto d = table.try_acquire();
  BOOST_REQUIRE(d.is_ok() && d->has_value());
}

BOOST_AUTO_TEST_CASE(a_slot_held_by_a_dead_process_is_free_again) {
  TempDir dir;
  SlotTable table(dir.path, 1);
  int pipefd[2];
  BOOST_REQUIRE_EQUAL(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    auto s = table.try_acquire();
    char ok = s.is_ok() && s->has_value() ? 1 : 0;
    (void)::write(pipefd[1], &ok, 1);
    ::pause();
    _exit(0);
  }
  char ok = 0;
  BOOST_REQUIRE_EQUAL(::read(pipefd[0], &ok, 1), 1);
  BOOST_CHECK_EQUAL(ok, 1);
  BOOST_CHECK(!table.try_acquire()->has_value());
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  BOOST_CHECK(table.try_acquire()->has_value());
  ::close(pipefd[0]);
  ::close(pipefd[1]);
}

BOOST_AUTO_TEST_SUITE_END()

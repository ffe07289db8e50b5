#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "transfer/nbd_reader.h"
#include "transfer_test_util.h"

using namespace xr;
using namespace xr::transfer;
using namespace xr::transfer::test;

namespace {

// nbdkit's file plugin serving `path` on a free port (as the simulator's NBD does).
struct Nbdkit {
  explicit Nbdkit(const std::string& path, const std::string& dir) {
    pidfile = dir + "/nbdkit.pid";
    for (port = 20000 + (::getpid() % 20000); port < 65000; port += 7) {
      std::string cmd = "nbdkit -P " + pidfile + " -i 127.0.0.1 -p " + std::to_string(port) +
                        " file " + path;  // forks once it listens
      if (run(cmd) == 0) break;
    }
    for (int i = 0; i < 100 && pid <= 0; ++i) {  // the daemon writes it after forking
      std::ifstream(pidfile) >> pid;
      if (pid <= 0) ::usleep(20'000);
    }
  }
  ~Nbdkit() {
    if (pid > 0) ::kill(pid, SIGTERM);
  }
  std::string pidfile;
  int port = 0;
  pid_t pid = 0;
};

std::string collect(NbdReader& r, uint64_t offset, uint64_t length) {
  std::string out;
  Status s = r.read(offset, length, [&](std::string_view c) {
    BOOST_CHECK_LE(c.size(), 2u << 20);
    out.append(c);
    return Status::ok();
  });
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.to_string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nbd_reader)

BOOST_AUTO_TEST_CASE(parallel_connections_deliver_the_disk_in_order_ranges_and_blocks_included) {
  TempDir dir;
  std::string disk((9u << 20) + 512, '\0');
  std::mt19937 rnd(5);
  for (char& c : disk) c = static_cast<char>(rnd());
  std::string path = dir.file("disk.raw", disk);
  Nbdkit server(path, dir.path);
  BOOST_REQUIRE(server.pid > 0);
  auto reader = NbdReader::open({{"127.0.0.1", 1, "", false}, {"127.0.0.1", server.port, "", false}}, 3);
  BOOST_REQUIRE_MESSAGE(reader.is_ok(), reader.status().to_string());
  NbdReader& r = **reader;
  BOOST_CHECK_EQUAL(r.connections(), 3);  // the refusing endpoint was skipped
  BOOST_CHECK_EQUAL(r.size(), disk.size());
  BOOST_CHECK(collect(r, 0, disk.size()) == disk);
  BOOST_CHECK(collect(r, 1000, (5u << 20) + 7) == disk.substr(1000, (5u << 20) + 7));
  std::string blocks;
  BOOST_REQUIRE(r.read_blocks({1, 4}, [&](std::string_view c) { blocks.append(c); return Status::ok(); }).is_ok());
  BOOST_CHECK(blocks == disk.substr(2u << 20, 2u << 20) + disk.substr(8u << 20));
  // a sink error stops the reads and is returned
  int calls = 0;
  Status stopped = r.read(0, disk.size(), [&](std::string_view) {
    return ++calls == 2 ? Status(ErrorKind::kCancelled, "client gone") : Status::ok();
  });
  BOOST_CHECK(stopped.kind() == ErrorKind::kCancelled);
  BOOST_CHECK_EQUAL(calls, 2);
}

BOOST_AUTO_TEST_CASE(no_reachable_server_is_unavailable) {
  auto r = NbdReader::open({{"127.0.0.1", 1, "", false}}, 2);
  BOOST_CHECK(r.status().kind() == ErrorKind::kUnavailable);
}

BOOST_AUTO_TEST_SUITE_END()

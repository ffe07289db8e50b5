// The cloud-init config drive image, read back by independent FAT implementations: mtools
// (mdir/mtype, as a guest's kernel would list and read it) and dosfstools' fsck.fat.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "actions/config_drive.h"

using xr::app::actions::kConfigDriveSize;
using xr::app::actions::make_config_drive;

namespace {

struct Image {
  explicit Image(const std::string& bytes) {
    char tmpl[] = "/tmp/xr-config-drive-XXXXXX";
    int fd = mkstemp(tmpl);
    BOOST_REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~Image() { unlink(path.c_str()); }
  std::string path;
};

// stdout of a command and its exit status.
std::pair<std::string, int> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  return {out, WEXITSTATUS(rc)};
}

const char kUuid[] = "0b5c3f0e-7a7e-4a43-9d56-1f1d3a3c2b11";

}  // namespace

BOOST_AUTO_TEST_CASE(config_drive_is_a_valid_fat16_volume_labelled_cidata) {
  const std::string img = make_config_drive(kUuid, "#cloud-config\nhostname: demo\n", "version: 1\n");
  BOOST_TEST(img.size() == kConfigDriveSize);
  Image f(img);
  auto [fsck, rc] = run("fsck.fat -n " + f.path);
  BOOST_TEST(rc == 0, fsck);
  auto [dir, drc] = run("mdir -i " + f.path + " ::");
  BOOST_TEST(drc == 0, dir);
  BOOST_TEST(dir.find("Volume in drive : is cidata") != std::string::npos, dir);
  for (const char* name : {"meta-data", "user-data", "network-config", "openstack"}) {
    BOOST_TEST(dir.find(name) != std::string::npos, name);
  }
}

BOOST_AUTO_TEST_CASE(config_drive_files_hold_nocloud_and_config_drive_2_data) {
  const std::string user = "#cloud-config\nusers:\n  - name: \"ops\"\n" + std::string(5000, 'x') + "\n";
  Image f(make_config_drive(kUuid, user, "network:\n  version: 2\n"));
  auto type = [&](const std::string& p) { return run("mtype -i " + f.path + " ::" + p).first; };
  BOOST_TEST(type("meta-data") == "instance-id: " + std::string(kUuid) + "\n");
  BOOST_TEST(type("user-data") == user);  // several clusters
  BOOST_TEST(type("network-config") == "network:\n  version: 2\n");
  BOOST_TEST(type("openstack/latest/user_data") == user);
  BOOST_TEST(type("openstack/latest/meta_data.json") == "{\"uuid\":\"" + std::string(kUuid) + "\"}");
}

BOOST_AUTO_TEST_CASE(config_drive_without_network_config_and_with_mbr) {
  Image plain(make_config_drive(kUuid, "#cloud-config\n", ""));
  auto [dir, rc] = run("mdir -i " + plain.path + " ::");
  BOOST_TEST(rc == 0);
  BOOST_TEST(dir.find("network-config") == std::string::npos, dir);
  const std::string mbr = make_config_drive(kUuid, "#cloud-config\n", "", true);
  BOOST_TEST(mbr.size() == kConfigDriveSize + 512);
  BOOST_TEST(static_cast<unsigned char>(mbr[450]) == 0x0e);  // FAT16 LBA partition
  Image part(mbr.substr(512));
  BOOST_TEST(run("mtype -i " + part.path + " ::user-data").first == "#cloud-config\n");
}

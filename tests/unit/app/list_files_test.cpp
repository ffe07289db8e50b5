#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "worker/list_files.h"

using namespace xr;
using namespace xr::app;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/xr-list-files-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string lists() const { return path + "/lists"; }
  std::string path;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ListFiles::Render body(const std::string& text, std::atomic<int>* renders = nullptr) {
  return [text, renders](const ListFiles::Write& write) {
    if (renders != nullptr) ++*renders;
    write(text.substr(0, text.size() / 2));
    write(text.substr(text.size() / 2));
    return Status::ok();
  };
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(list_files)

BOOST_AUTO_TEST_CASE(a_list_is_rendered_once_per_generation_and_uri) {
  TempDir t;
  ListFiles files(t.lists(), 1 << 20, 0640);
  std::atomic<int> renders{0};
  auto a = files.find_or_render(7, 42, "/rest/v0/vms?fields=*", body("[\n1\n]\n", &renders));
  BOOST_REQUIRE(a);
  BOOST_TEST(slurp(t.lists() + "/" + *a) == "[\n1\n]\n");
  struct stat st;
  BOOST_REQUIRE(stat((t.lists() + "/" + *a).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0640u);
  auto again = files.find_or_render(7, 42, "/rest/v0/vms?fields=*", body("other", &renders));
  BOOST_TEST(*again == *a);
  BOOST_TEST(renders.load() == 1);
  auto other_uri = files.find_or_render(7, 42, "/rest/v0/vms?fields=uuid", body("x", &renders));
  auto other_seq = files.find_or_render(7, 43, "/rest/v0/vms?fields=*", body("y", &renders));
  BOOST_TEST(*other_uri != *a);
  BOOST_TEST(*other_seq != *a);
  BOOST_TEST(renders.load() == 3);
  BOOST_TEST(a->size() == 8 + 1 + 16 + 1 + 32 + 5);
  BOOST_TEST(a->substr(0, 26) == "00000007-000000000000002a-");
}

BOOST_AUTO_TEST_CASE(a_failed_render_keeps_nothing) {
  TempDir t;
  ListFiles files(t.lists(), 1 << 20, 0600);
  auto failed = files.find_or_render(1, 1, "/rest/v0/vms", [](const ListFiles::Write& write) {
    write("[\n");
    return Status(ErrorKind::kTimeout, "cache: writer kept compacting");
  });
  BOOST_TEST(!failed);
  BOOST_TEST(names_in(t.lists()).empty());
  auto short_write = files.find_or_render(1, 1, "/rest/v0/vms", [](const ListFiles::Write&) {
    return Status::ok();
  });
  BOOST_TEST(short_write.has_value());  // an empty render is a file (an empty answer)
}

BOOST_AUTO_TEST_CASE(older_generations_are_removed_after_keep_old) {
  TempDir t;
  ListFiles files(t.lists(), 1 << 20, 0600);
  auto old = files.find_or_render(1, 5, "/rest/v0/vms", body("old"));
  auto other_instance = files.find_or_render(2, 9, "/rest/v0/vms", body("restarted"));
  // Just rendered: kept for kKeepOld (nginx may be about to open it).
  auto fresh = files.find_or_render(1, 6, "/rest/v0/vms", body("new"));
  BOOST_TEST(fs::exists(t.lists() + "/" + *old));
  std::this_thread::sleep_for(ListFiles::kKeepOld + std::chrono::milliseconds(100));
  auto next = files.find_or_render(1, 6, "/rest/v0/hosts", body("hosts"));
  BOOST_TEST(!fs::exists(t.lists() + "/" + *old));
  BOOST_TEST(!fs::exists(t.lists() + "/" + *other_instance));
  BOOST_TEST(fs::exists(t.lists() + "/" + *fresh));
  BOOST_TEST(fs::exists(t.lists() + "/" + *next));
}

BOOST_AUTO_TEST_CASE(beyond_the_budget_lists_are_not_kept) {
  TempDir t;
  ListFiles files(t.lists(), 1000, 0600);
  const std::string big(600, 'x');
  BOOST_TEST(files.find_or_render(1, 1, "/a", body(big)).has_value());
  BOOST_TEST(files.find_or_render(1, 1, "/b", body(big)).has_value());  // 600 < 1000: room
  BOOST_TEST(!files.find_or_render(1, 1, "/c", body(big)).has_value());  // 1200 >= 1000
  BOOST_TEST(names_in(t.lists()).size() == 2u);
}

BOOST_AUTO_TEST_CASE(concurrent_requests_wait_for_one_render) {
  TempDir t;
  ListFiles files(t.lists(), 1 << 20, 0600);
  std::atomic<int> renders{0};
  const ListFiles::Render slow = [&](const ListFiles::Write& write) {
    ++renders;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    write("[\n]\n");
    return Status::ok();
  };
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = files.find_or_render(3, 3, "/rest/v0/vms", slow).value_or(""); });
  }
  for (auto& th : threads) th.join();
  BOOST_TEST(renders.load() == 1);
  for (const auto& g : got) BOOST_TEST(g == got[0]);
  BOOST_TEST(names_in(t.lists()).size() == 1u);  // no claim or temporary file left
}

BOOST_AUTO_TEST_CASE(an_unusable_folder_means_no_file) {
  ListFiles files("/nonexistent-parent/lists", 1 << 20, 0600);
  BOOST_TEST(!files.find_or_render(1, 1, "/rest/v0/vms", body("x")).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// lib/store on both backends (issue 15): token checks and XO task create+finish per second,
// SQLite (a file in a temp folder) and PostgreSQL (XR_TEST_PG, a fresh schema), same run,
// with the ratio. Run through tests/bench/store_bench.sh (starts a throw-away cluster).
//   store_bench [token checks] [tasks] [threads]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth_store.h"
#include "store/postgres_db.h"
#include "store/sqlite_db.h"
#include "tasks/task_store.h"

using namespace xr;

namespace {

struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<store::Db>>()> open;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ops/s of `per_thread` calls of fn on each of `threads` threads (each its own connection).
template <typename Setup, typename Op>
double run(const Backend& b, int threads, int per_thread, Setup setup, Op op) {
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      auto db = b.open();
      if (!db.is_ok()) { failures += per_thread; return; }
      auto state = setup(**db);
      for (int k = 0; k < per_thread; ++k) {
        if (!op(*state, i, k)) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double s = seconds_since(t0);
  if (failures > 0) std::fprintf(stderr, "%s: %d failures\n", b.name.c_str(), failures.load());
  return threads * per_thread / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int checks = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int ntasks = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 4;
  char tmpl[] = "/tmp/xr-store-bench.XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::vector<Backend> backends{{"sqlite", [&] { return store::open_sqlite(dir + "/b.db"); }}};
  const char* pg = std::getenv("XR_TEST_PG");
  if (pg != nullptr && *pg != '\0') {
    const std::string conninfo = pg;
    backends.push_back({"postgresql", [conninfo] { return store::open_postgres(conninfo); }});
  } else {
    std::fprintf(stderr, "XR_TEST_PG not set: SQLite only\n");
  }
  std::vector<std::pair<double, double>> figures;
  for (const Backend& b : backends) {
    auto db = b.open();
    if (!db.is_ok()) { std::fprintf(stderr, "%s\n", db.status().to_string().c_str()); return 1; }
    auto auth = auth::AuthStore::open(**db);
    auto u = (*auth)->add_user("bench", "pw");
    auto tok = (*auth)->create_token(u->id, 86'400'000, "bench", auth::now_ms());
    if (!tok.is_ok()) { std::fprintf(stderr, "%s\n", tok.status().to_string().c_str()); return 1; }
    const std::string secret = tok->token;
    const double check_rate = run(b, threads, checks / threads,
        [](store::Db& d) { return std::move(auth::AuthStore::open(d)).value(); },
        [&](auth::AuthStore& s, int, int) { return s.check_token(secret, auth::now_ms()).is_ok(); });
    const double task_rate = run(b, threads, ntasks / threads,
        [](store::Db& d) { return std::move(tasks::TaskStore::open(d, nullptr, 1000)).value(); },
        [](tasks::TaskStore& s, int, int) {
          auto t = s.create({"u", R"({"name":"bench"})", ""});
          return t.is_ok() && s.finish(t->id, tasks::TaskStatus::kSuccess, "").is_ok();
        });
    std::printf("%-10s token checks %9.0f /s   task create+finish %7.0f /s   (%d threads)\n",
                b.name.c_str(), check_rate, task_rate, threads);
    figures.emplace_back(check_rate, task_rate);
  }
  if (figures.size() == 2) {
    std::printf("ratio postgresql/sqlite: token checks %.2f, task create+finish %.2f\n",
                figures[1].first / figures[0].first, figures[1].second / figures[0].second);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

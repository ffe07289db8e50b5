// filter_bench: objects filtered per second by lib/filter on a JSON array of objects.
//   filter_bench <objects.json> <filter>...   prints "<ms per scan>\t<matches>\t<us per compile>"
// Each filter is compiled once, warmed up with one scan, then scanned for >= 300 ms of CPU time.
#include <rapidjson/document.h>

#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/rapidjson_view.h"
#include "filter/filter.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: filter_bench <objects.json> <filter>...\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.str().c_str());
  if (doc.HasParseError() || !doc.IsArray()) {
    std::cerr << "bad objects file\n";
    return 2;
  }
  // CPU time of this process: the machine is shared, wall time would count other jobs.
  auto cpu_ms = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
  };
  for (int a = 2; a < argc; ++a) {
    auto filter = xr::filter::Filter::compile(argv[a]);
    if (!filter.is_ok()) {
      std::cerr << argv[a] << ": " << filter.status().message() << "\n";
      return 1;
    }
    auto matcher = filter->matcher<xr::RapidJsonView>();  // what a collection scan uses
    auto scan = [&] {
      std::size_t n = 0;
      for (const auto& o : doc.GetArray()) n += matcher(xr::RapidJsonView(&o)) ? 1 : 0;
      return n;
    };
    std::size_t matches = scan();
    const double start = cpu_ms();
    int scans = 0;
    double elapsed_ms = 0;
    do {
      if (scan() != matches) return 3;
      ++scans;
      elapsed_ms = cpu_ms() - start;
    } while (elapsed_ms < 300);
    const double compile_start = cpu_ms();
    int compiles = 0;
    do {
      if (!xr::filter::Filter::compile(argv[a]).is_ok()) return 3;
      ++compiles;
    } while (cpu_ms() - compile_start < 50);
    std::printf("%.4f\t%zu\t%.2f\n", elapsed_ms / scans, matches, (cpu_ms() - compile_start) * 1000 / compiles);
  }
  return 0;
}

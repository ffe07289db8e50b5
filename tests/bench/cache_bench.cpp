// cache_bench: figures for lib/cache on a simulated 10,000-VM pool (issue 4 "Figures").
//   - load: encode + store 10k VMs, 20k VBDs, 20k VDIs, 10k VIFs (realistic XO shapes)
//   - memory: segment size, resident segment bytes, writer RSS (anon vs shared)
//   - projection fields=name_label,power_state (+ href) over the 10k VMs, streamed in 64 KiB
//     chunks, vs memcpy of the same total bytes in the same chunks, in the same run
//   - fields=* over the 10k VMs vs memcpy; GET of one object by id; a re-parse baseline
// Usage: cache_bench [vms=10000] [iterations=50] [segment_mb=256]
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../unit/cache/sample_objects.h"
#include "cache/reader.h"
#include "cache/writer.h"

namespace {

using namespace xr::cache;
using xr::Status;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kChunk = 64 * 1024;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long status_kb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key) + 1);
  }
  return -1;
}

// A sink standing in for the FastCGI stream: the chunk is copied out, then reused.
struct Sink {
  std::vector<char> dst = std::vector<char>(kChunk * 2);
  std::size_t total = 0;
  void flush(std::string& chunk) {
    std::memcpy(dst.data(), chunk.data(), chunk.size());
    total += chunk.size();
    chunk.clear();
  }
};

// The list endpoint body: [obj,obj,...] with optional href, streamed in chunks.
std::size_t list_body(const Reader& r, const FieldList& fields, bool href, Sink& sink, std::string& chunk) {
  ScanCursor cur;
  if (!fields.all()) cur.prefetch = &fields;
  chunk.push_back('[');
  while (!cur.done) {
    Status s = r.scan("vms", cur, chunk, kChunk, [&](const ObjectView& v, std::string& o) {
      if (cur.emitted > 0) o.push_back(',');
      if (!href) {
        v.append_fields(fields, o);
        return true;
      }
      o.push_back('{');
      if (v.append_members(fields, o)) o.push_back(',');
      o.append("\"href\":\"/rest/v0/vms/");
      o.append(v.id());
      o.append("\"}");
      return true;
    });
    if (!s.is_ok()) std::abort();
    if (cur.done) chunk.push_back(']');
    sink.flush(chunk);
  }
  return cur.emitted;
}

// Same bytes, same chunking, no work: the memcpy baseline.
void memcpy_body(const std::string& body, Sink& sink, std::string& chunk) {
  for (std::size_t off = 0; off < body.size(); off += kChunk) {
    chunk.append(body, off, std::min(kChunk, body.size() - off));
    sink.flush(chunk);
  }
}


// Thread CPU time, not wall time: the build machine is shared, and being descheduled must
// not count against either side of a ratio.
double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

template <typename F>
double timed(int iterations, F&& f) {
  double t = cpu_now();
  for (int i = 0; i < iterations; ++i) f();
  return (cpu_now() - t) / iterations;
}

void compare(const char* name, const Reader& r, const FieldList& fields, bool href, int vms, int iters) {
  Sink sink;
  std::string chunk;
  chunk.reserve(kChunk * 2);
  std::size_t before = sink.total;
  list_body(r, fields, href, sink, chunk);
  std::size_t bytes = sink.total - before;
  std::string body(bytes, 'x');
  double t_proj = timed(iters, [&] { list_body(r, fields, href, sink, chunk); });
  double t_copy = timed(iters, [&] { memcpy_body(body, sink, chunk); });
  std::printf("%-34s body=%zu B  cache: %.3f ms/req %.0f MB/s %.0f objects/s | memcpy: %.3f ms %.0f MB/s | ratio %.3f\n",
              name, bytes, t_proj * 1e3, bytes / t_proj / 1e6, vms / t_proj, t_copy * 1e3,
              bytes / t_copy / 1e6, t_copy / t_proj);
  if (fields.all() || !fields.flat() || href) return;
  // Gather floor: copy the very same pieces straight from the segment with their addresses
  // known in advance (no lookup, no validation): the memory cost of touching 10k records.
  std::vector<std::vector<std::string_view>> pieces;
  ScanCursor cur;
  std::string scratch;
  (void)r.scan("vms", cur, scratch, SIZE_MAX, [&](const ObjectView& v, std::string&) {
    pieces.emplace_back();
    for (const auto& f : fields.fields()) pieces.back().push_back(v.member_piece(f.name));
    return true;
  });
  double t_gather = timed(iters, [&] {
    chunk.push_back('[');
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (i > 0) chunk.push_back(',');
      chunk.push_back('{');
      for (std::size_t k = 0; k < pieces[i].size(); ++k) {
        if (k > 0) chunk.push_back(',');
        chunk.append(pieces[i][k]);
      }
      chunk.push_back('}');
      if (chunk.size() >= kChunk) sink.flush(chunk);
    }
    chunk.push_back(']');
    sink.flush(chunk);
  });
  std::printf("%-34s gather floor (same pieces, known addresses): %.3f ms/req | cache/floor ratio %.3f\n", "",
              t_gather * 1e3, t_gather / t_proj);
}

}  // namespace

int main(int argc, char** argv) {
  int vms = argc > 1 ? std::atoi(argv[1]) : 10000;
  int iters = argc > 2 ? std::atoi(argv[2]) : 50;
  uint64_t seg_mb = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 256;
  long rss0 = status_kb("VmRSS:");
  double load1 = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load1) != 1) load1 = -1;
    std::fclose(f);
  }
  std::printf("cache_bench: %d VMs, %d iterations, load average %.1f (timings are thread CPU time)\n",
              vms, iters, load1);
  auto seg = Segment::create({seg_mb << 20, 16384});
  if (!seg.is_ok()) {
    std::fprintf(stderr, "%s\n", seg.status().to_string().c_str());
    return 1;
  }
  Writer w(seg.value());
  Reader r(seg.value());
  const std::string pool = samples::uuid_for(0, 1);
  std::size_t json_bytes = 0, objects = 0;
  double encode_s = 0;
  auto load = [&](const char* coll, int n, unsigned kind, auto make) {
    for (int i = 0; i < n; ++i) {
      rapidjson::Document d;
      rapidjson::Value v = make(static_cast<unsigned>(i), pool, d.GetAllocator());
      rapidjson::StringBuffer b;
      rapidjson::Writer<rapidjson::StringBuffer> jw(b);
      v.Accept(jw);
      json_bytes += b.GetSize();
      auto t = Clock::now();
      if (!w.put(coll, samples::uuid_for(kind, static_cast<unsigned>(i)), v).is_ok()) std::abort();
      encode_s += seconds_since(t);
      ++objects;
    }
  };
  load("vms", vms, 1, samples::make_vm);
  load("vbds", 2 * vms, 2, samples::make_vbd);
  load("vdis", 2 * vms, 3, samples::make_vdi);
  load("vifs", vms, 4, samples::make_vif);
  WriterStats st = w.stats();
  std::printf("load: %zu objects, %.1f MB of XO JSON, stored in %.3f s (%.0f objects/s, cache work only)\n",
              objects, json_bytes / 1e6, encode_s, objects / encode_s);
  std::printf("memory: segment %llu MB configured, %.1f MB resident; live records %.1f MB (%.2fx the JSON); "
              "active half used %.1f MB\n",
              static_cast<unsigned long long>(seg_mb), seg.value().resident_bytes() / 1e6,
              st.live_bytes / 1e6, static_cast<double>(st.live_bytes) / json_bytes, st.used_bytes / 1e6);
  std::printf("writer process: VmRSS %.1f MB (RssAnon %.1f MB, RssShmem %.1f MB; before segment %.1f MB), VmHWM %.1f MB\n",
              status_kb("VmRSS:") / 1024.0, status_kb("RssAnon:") / 1024.0, status_kb("RssShmem:") / 1024.0,
              rss0 / 1024.0, status_kb("VmHWM:") / 1024.0);
  if (std::getenv("PROJ_ONLY") != nullptr) {
    compare("fields=name_label,power_state", r, FieldList::parse("name_label,power_state"), false, vms, iters);
    return 0;
  }
  auto t = Clock::now();
  if (!w.compact().is_ok()) std::abort();
  std::printf("compaction of everything: %.3f s\n", seconds_since(t));

  compare("fields=name_label,power_state", r, FieldList::parse("name_label,power_state"), false, vms, iters);
  compare("  + href (as the gateway)", r, FieldList::parse("name_label,power_state"), true, vms, iters);
  compare("fields=* + href", r, FieldList::parse("*"), true, vms, std::max(1, iters / 5));
  compare("fields=CPUs.number,memory.size", r, FieldList::parse("CPUs.number,memory.size"), false, vms,
          std::max(1, iters / 5));

  // GET of one object by id.
  std::mt19937 rng(1);
  std::string out;
  int gets = 200000;
  std::size_t got = 0;
  double t_get = timed(1, [&] {
    for (int i = 0; i < gets; ++i) {
      out.clear();
      got += r.get_json("vms", samples::uuid_for(1, rng() % static_cast<unsigned>(vms)), out);
    }
  });
  std::printf("GET one vm: %.0f lookups/s (%.2f us each, %zu found, %zu B last)\n", gets / t_get,
              t_get / gets * 1e6, got, out.size());

  // Steady churn: every VM updated 5 times (power state, memory usage): update rate, and the
  // segment's resident memory (garbage is compacted away before the half fills up).
  {
    uint64_t max_resident = 0;
    auto t_churn = Clock::now();
    int updates = 0;
    double put_s = 0;
    for (int round = 0; round < 5; ++round) {
      for (int i = 0; i < vms; ++i, ++updates) {
        rapidjson::Document d;
        rapidjson::Value v = samples::make_vm(static_cast<unsigned>(i), pool, d.GetAllocator());
        v["memory"]["usage"].SetUint64(static_cast<uint64_t>(round) * 4096 + 1);
        v["power_state"].SetString(rapidjson::StringRef(round % 2 ? "Halted" : "Running"));
        auto t0 = Clock::now();
        if (!w.put("vms", samples::uuid_for(1, static_cast<unsigned>(i)), v).is_ok()) std::abort();
        put_s += seconds_since(t0);
        if (updates % 1000 == 0) max_resident = std::max(max_resident, seg.value().resident_bytes());
      }
    }
    WriterStats cs = w.stats();
    std::printf("churn: %d VM updates in %.2f s (%.0f puts/s cache work only), %llu compactions; "
                "segment resident max %.1f MB, now %.1f MB (live %.1f MB)\n",
                updates, seconds_since(t_churn), updates / put_s,
                static_cast<unsigned long long>(cs.compactions), max_resident / 1e6,
                seg.value().resident_bytes() / 1e6, cs.live_bytes / 1e6);
  }

  // Naive baseline: re-parse each object's JSON and pick the two fields (what we avoid).
  std::vector<std::string> texts;
  ScanCursor cur;
  std::string all;
  (void)r.scan("vms", cur, all, SIZE_MAX, [&](const ObjectView& v, std::string&) {
    texts.emplace_back(v.text());
    return true;
  });
  std::size_t bytes = 0;
  double t_parse = timed(std::max(1, iters / 10), [&] {
    std::string o;
    for (const std::string& s : texts) {
      rapidjson::Document d;
      d.Parse(s.data(), s.size());
      rapidjson::StringBuffer b;
      rapidjson::Writer<rapidjson::StringBuffer> jw(b);
      jw.StartObject();
      for (const char* k : {"name_label", "power_state"}) {
        jw.Key(k);
        d[k].Accept(jw);
      }
      jw.EndObject();
      o.append(b.GetString(), b.GetSize());
    }
    bytes = o.size();
  });
  std::printf("re-parse baseline (RapidJSON parse + pick per object): %.3f ms/req, %.0f objects/s\n",
              t_parse * 1e3, vms / t_parse);
  return 0;
}

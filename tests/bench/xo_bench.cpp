// xo_bench RECORDS.json: throughput of the XO model (lib/xo) on a pool dump.
//  1. initial dump: PoolModel::apply of the full-resync batch, records/s, against a
//     baseline in the same run: a logic-free mapper that writes every record as JSON;
//  2. 10,000 guest-metrics updates in one batch (each re-derives its VM), against a
//     baseline of re-mapping the same VMs from their records;
//  3. memory the model keeps (RSS growth; serialized base objects);
//  4. the same dump spooled as the poller's event loop keeps a full resync (xapi::EventSpool):
//     CPU time to spool it (done while the dump streams in) and to apply it, against applying
//     the decoded batch, in the same run; the spool's size against the decoded records' heap.
// Every XO object is serialized by the sink, as the cache would copy it.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <malloc.h>
#include <time.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>

#include "records_json.h"
#include "xapi/event_spool.h"
#include "xo/pool_model.h"

namespace {

using Clock = std::chrono::steady_clock;
using xr::xapi::Event;
using xr::xapi::EventBatch;
using xr::xapi::Value;

// Keeps every object's JSON, as the cache does (the model re-derives objects from it).
class SerializingSink : public xr::xo::ObjectSink {
 public:
  void begin_batch() override {}
  void end_batch() override { ended = Clock::now(); }
  void upsert(std::string_view coll, std::string_view id, const rapidjson::Value& obj) override {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    obj.Accept(w);
    bytes += buf.GetSize();
    ++upserts;
    objects[key(coll, id)].assign(buf.GetString(), buf.GetSize());
  }
  // A full resync's objects are serialized on the model's two threads, kept here in order.
  void prepare(std::string_view, const rapidjson::Value& obj, Prepared* out) const override {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    out->ok = obj.Accept(w);
    out->data.assign(buf.GetString(), buf.GetSize());
  }
  void upsert_prepared(std::string_view coll, std::string_view id, Prepared& p) override {
    bytes += p.data.size();
    ++upserts;
    objects[key(coll, id)] = std::move(p.data);
  }
  void remove(std::string_view coll, std::string_view id) override { objects.erase(key(coll, id)); }
  bool current(std::string_view coll, std::string_view id, std::string* json) const override {
    auto it = objects.find(key(coll, id));
    if (it == objects.end()) return false;
    *json = it->second;
    return true;
  }
  size_t bytes = 0, upserts = 0;
  Clock::time_point ended;
  std::unordered_map<std::string, std::string> objects;

 private:
  static std::string key(std::string_view coll, std::string_view id) {
    return std::string(coll) + '/' + std::string(id);
  }
};

// Baseline: the record as a JSON object, no XO logic.
void to_json(const Value& v, rapidjson::Value& out, rapidjson::Document::AllocatorType& a) {
  if (v.is_struct()) {
    out.SetObject();
    for (const auto& m : **v.as_struct()) {
      rapidjson::Value child;
      to_json(m.value, child, a);
      out.AddMember(rapidjson::Value(m.name.c_str(), a), child, a);
    }
  } else if (v.is_array()) {
    out.SetArray();
    for (const auto& e : **v.as_array()) {
      rapidjson::Value child;
      to_json(e, child, a);
      out.PushBack(child, a);
    }
  } else if (auto s = v.as_string(); s.is_ok()) {
    out.SetString(s->data(), static_cast<rapidjson::SizeType>(s->size()), a);
  } else if (auto b = v.as_bool(); b.is_ok()) {
    out.SetBool(*b);
  } else if (auto i = v.as_int(); i.is_ok()) {
    out.SetInt64(*i);
  }
}

double baseline_map(const EventBatch& batch, SerializingSink& sink) {
  auto t0 = Clock::now();
  for (const Event& e : batch.events) {
    rapidjson::Document d;
    to_json(e.snapshot, d, d.GetAllocator());
    sink.upsert("", "", d);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double timed_apply(xr::xo::PoolModel& m, const EventBatch& b, SerializingSink& sink) {
  auto t0 = Clock::now();
  m.apply(b, sink);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

size_t heap_in_use() { return mallinfo2().uordblks; }

// CPU seconds of this thread (a loaded machine stretches wall time, not this).
// The process's CPU time: a full resync is mapped on two threads (PoolModel::emit_parallel).
double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

long rss_kb() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

Value* field(Value& rec, std::string_view name) {
  for (auto& m : *rec.mutable_struct()) {
    if (m.name == name) return &m.value;
  }
  return nullptr;
}

bool plain_vm(const Value& rec) {
  for (const char* f : {"is_control_domain", "is_a_template", "is_a_snapshot"}) {
    const Value* v = rec.get(f);
    if (v && v->as_bool().is_ok() && *v->as_bool()) return false;
  }
  return true;
}

// Gives up to `n` plain VMs a guest-metrics record; returns (GM events, VM events).
std::pair<EventBatch, EventBatch> add_guest_metrics(EventBatch& full, size_t n) {
  const Value* sample = nullptr;
  for (const Event& e : full.events) {
    if (e.cls == "vm_guest_metrics") sample = &e.snapshot;
  }
  EventBatch gms, vms;
  std::vector<Event> extra;
  for (Event& e : full.events) {
    if (e.cls != "vm" || !plain_vm(e.snapshot) || vms.events.size() >= n || !sample) continue;
    std::string gm_ref = "OpaqueRef:bench-gm-" + std::to_string(vms.events.size());
    *field(e.snapshot, "guest_metrics") = Value::string(gm_ref);
    Value gm = *sample;
    *field(gm, "uuid") = Value::string("bench-gm-uuid-" + std::to_string(vms.events.size()));
    extra.push_back(Event{"vm_guest_metrics", "add", gm_ref, gm});
    Value changed = gm;
    Value nets = Value::structure();
    nets.add_member("0/ipv4/0", Value::string("10.9." + std::to_string(vms.events.size() % 250) +
                                              "." + std::to_string(vms.events.size() / 250)));
    *field(changed, "networks") = std::move(nets);
    gms.events.push_back(Event{"vm_guest_metrics", "mod", gm_ref, std::move(changed)});
    vms.events.push_back(Event{"vm", "mod", e.ref, e.snapshot});
  }
  for (Event& e : extra) full.events.push_back(std::move(e));
  return {std::move(gms), std::move(vms)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: xo_bench RECORDS.json\n");
    return 2;
  }
  auto json = xr::xotools::read_file(argv[1]);
  const size_t heap_before = heap_in_use();
  auto batch = json.is_ok() ? xr::xotools::batch_from_records_json(*json)
                            : xr::Result<EventBatch>(json.status());
  if (!batch.is_ok()) {
    std::fprintf(stderr, "xo_bench: %s\n", batch.status().to_string().c_str());
    return 1;
  }
  const size_t decoded_heap = heap_in_use() - heap_before;  // the decoded records
  json = std::string();
  EventBatch full = std::move(*batch);
  auto [gm_updates, vm_remaps] = add_guest_metrics(full, 10000);
  size_t n = full.events.size();

  SerializingSink base_sink;
  double base_s = baseline_map(full, base_sink);
  base_sink.objects.clear();
  SerializingSink sink;
  sink.objects.reserve(n);
  long rss0 = rss_kb();
  size_t heap0 = heap_in_use();
  xr::xo::PoolModel model;
  auto t0 = Clock::now();
  double ours_s = timed_apply(model, full, sink);
  double visible_s = std::chrono::duration<double>(sink.ended - t0).count();
  long rss1 = rss_kb();
  size_t sink_heap = 0;  // the sink's copies (the cache's part), not the model's
  for (const auto& [k, text] : sink.objects) sink_heap += k.capacity() + text.capacity() + 64;
  size_t heap1 = heap_in_use() - sink_heap;
  std::printf("initial dump: %zu records -> %zu XO objects (%.1f MB JSON)\n", n, sink.upserts,
              sink.bytes / 1e6);
  std::printf("  xo model : %.3f s = %.0f records/s until end_batch (the cache has it all); %.3f s in all\n",
              visible_s, n / visible_s, ours_s);
  std::printf("  baseline : %.3f s = %.0f records/s (records written as JSON, no XO logic)\n",
              base_s, n / base_s);
  std::printf("  ratio    : %.2f of baseline throughput (to end_batch)\n", base_s / visible_s);
  std::printf("  model memory: heap in use +%.1f MB (the sink's copies of the objects, %.1f MB, not counted; "
              "RSS +%.1f MB with them); %zu objects\n",
              (heap1 - heap0) / 1e6, sink_heap / 1e6, (rss1 - rss0) / 1024.0, model.object_count());

  {
    class NullSink : public xr::xo::ObjectSink {
      void begin_batch() override {}
      void end_batch() override {}
      void upsert(std::string_view, std::string_view, const rapidjson::Value&) override {}
      void remove(std::string_view, std::string_view) override {}
      bool current(std::string_view, std::string_view, std::string*) const override { return false; }
    } null_sink;
    xr::xo::PoolModel m2;
    auto start = Clock::now();
    m2.apply(full, null_sink);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("  xo model without the sink's serialization: %.3f s = %.0f records/s\n", s, n / s);
  }
  {
    // 4. decoded vs spooled full resync, CPU time, alternated twice.
    double decoded_cpu = 1e9, spooled_cpu = 1e9, spool_cpu = 1e9, spooled_wall = 1e9;
    size_t spool_bytes = 0;
    for (int round = 0; round < 2; ++round) {
      SerializingSink a, b;
      xr::xo::PoolModel m_decoded, m_spooled;
      double c0 = cpu_s();
      m_decoded.apply(full, a);
      decoded_cpu = std::min(decoded_cpu, cpu_s() - c0);
      EventBatch copy = full;  // the events as the parser hands them over, one by one
      EventBatch spooled;
      spooled.full_resync = true;
      spooled.spool = std::make_shared<xr::xapi::EventSpool>();
      c0 = cpu_s();
      for (Event& e : copy.events) spooled.spool->add(std::move(e));
      spool_cpu = std::min(spool_cpu, cpu_s() - c0);
      copy = EventBatch();
      spool_bytes = spooled.spool->bytes();
      c0 = cpu_s();
      const auto w0 = Clock::now();
      m_spooled.apply(spooled, b);
      spooled_wall = std::min(spooled_wall, std::chrono::duration<double>(Clock::now() - w0).count());
      spooled_cpu = std::min(spooled_cpu, cpu_s() - c0);
      if (a.bytes != b.bytes || a.upserts != b.upserts) std::printf("  MISMATCH between decoded and spooled\n");
    }
    std::printf("spooled full resync (best of 2, CPU time): spooling %.3f s (during the dump), apply %.3f s "
                "(%.3f s wall, two threads) vs %.3f s decoded (ratio %.2f); spool %.1f MB vs %.1f MB of decoded "
                "records on the heap\n",
                spool_cpu, spooled_cpu, spooled_wall, decoded_cpu, spooled_cpu / decoded_cpu, spool_bytes / 1e6,
                decoded_heap / 1e6);
  }
  // Both on the sink holding the first dump's objects (re-derived objects are read from it).
  size_t upserts_before = sink.upserts;
  double gm_s = timed_apply(model, gm_updates, sink);
  size_t re_emitted = sink.upserts - upserts_before;
  double vm_s = timed_apply(model, vm_remaps, sink);
  std::printf("%zu guest-metrics updates in one batch: %.3f s (%.1f us each), %zu VMs re-emitted\n",
              gm_updates.events.size(), gm_s, gm_s * 1e6 / gm_updates.events.size(), re_emitted);
  std::printf("  baseline: the same %zu VMs re-mapped from records: %.3f s; ratio %.2f\n",
              vm_remaps.events.size(), vm_s, gm_s / vm_s);
  return 0;
}

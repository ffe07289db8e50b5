// xo_map_dump [--spool] [--reverse] [--parallel] RECORDS.json: maps a JSON dump of XAPI
// records through xo::PoolModel and prints the XO objects as {"<collection>": [objects...]}
// on stdout (conformance tests). --spool hands the model the dump as the poller's event loop
// does (xapi::EventSpool), --reverse in the opposite order, --parallel maps it on two threads
// whatever its size (as the poller maps a big pool's): the output must not change.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/writer.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "records_json.h"
#include "xapi/event_spool.h"
#include "xo/pool_model.h"

namespace {

class CollectingSink : public xr::xo::ObjectSink {
 public:
  void begin_batch() override {}
  void end_batch() override {}
  void upsert(std::string_view coll, std::string_view id, const rapidjson::Value& obj) override {
    rapidjson::Value copy(obj, out_.GetAllocator());
    objects_[std::string(coll)][std::string(id)] = std::move(copy);
  }
  void remove(std::string_view coll, std::string_view id) override {
    objects_[std::string(coll)].erase(std::string(id));
  }
  bool current(std::string_view coll, std::string_view id, std::string* json) const override {
    auto c = objects_.find(std::string(coll));
    if (c == objects_.end()) return false;
    auto o = c->second.find(std::string(id));
    if (o == c->second.end()) return false;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    o->second.Accept(w);
    json->assign(buf.GetString(), buf.GetSize());
    return true;
  }
  std::string render() {
    out_.SetObject();
    for (auto& [coll, objs] : objects_) {
      rapidjson::Value arr(rapidjson::kArrayType);
      for (auto& [id, obj] : objs) arr.PushBack(obj, out_.GetAllocator());
      out_.AddMember(rapidjson::Value(coll.c_str(), out_.GetAllocator()), arr, out_.GetAllocator());
    }
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    out_.Accept(w);
    return buf.GetString();
  }

 private:
  rapidjson::Document out_;
  std::map<std::string, std::map<std::string, rapidjson::Value>> objects_;
};

}  // namespace

int main(int argc, char** argv) {
  bool spool = false, reverse = false, parallel = false;
  int arg = 1;
  for (; arg < argc && argv[arg][0] == '-'; ++arg) {
    if (std::strcmp(argv[arg], "--spool") == 0) {
      spool = true;
    } else if (std::strcmp(argv[arg], "--reverse") == 0) {
      reverse = true;
    } else if (std::strcmp(argv[arg], "--parallel") == 0) {
      parallel = true;
    } else {
      break;
    }
  }
  if (argc != arg + 1) {
    std::fprintf(stderr, "usage: xo_map_dump [--spool] [--reverse] [--parallel] RECORDS.json\n");
    return 2;
  }
  auto json = xr::xotools::read_file(argv[arg]);
  if (!json.is_ok()) {
    std::fprintf(stderr, "xo_map_dump: %s\n", json.status().to_string().c_str());
    return 1;
  }
  auto batch = xr::xotools::batch_from_records_json(*json);
  if (!batch.is_ok()) {
    std::fprintf(stderr, "xo_map_dump: %s\n", batch.status().to_string().c_str());
    return 1;
  }
  if (reverse) std::reverse(batch->events.begin(), batch->events.end());
  if (spool) {
    batch->spool = std::make_shared<xr::xapi::EventSpool>();
    for (xr::xapi::Event& e : batch->events) batch->spool->add(std::move(e));
    batch->events.clear();
  }
  CollectingSink sink;
  xr::xo::PoolModel model;
  if (parallel) model.set_parallel_min(0, 4);  // small chunks: the threads take turns often
  model.apply(*batch, sink);
  std::string out = sink.render();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

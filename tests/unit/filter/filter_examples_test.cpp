// Every worked example of xo-rest-api.md §d.4, on its three sample VMs.
#include <boost/test/unit_test.hpp>

#include "filter_test_util.h"

namespace xr::filter::testing {
namespace {

const char* const kV1 = R"({"name_label":"web-prod-01","name_description":"Nginx frontend","power_state":"Running",
  "tags":["prod","web"],"CPUs":{"max":4,"number":2},"memory":{"size":4294967296},"auto_poweron":true,
  "high_availability":"restart","mainIpAddress":"10.0.0.11","addresses":{"0/ipv4/0":"10.0.0.11"},
  "startTime":1700000000,"snapshots":["s1","s2","s3"],"other":{"xo:backup:job":"j1"},"virtualizationMode":"hvm"})";
const char* const kV2 = R"({"name_label":"DB Test","name_description":"","power_state":"Halted","tags":[],
  "CPUs":{"max":2,"number":2},"memory":{"size":2147483648},"auto_poweron":false,"high_availability":"",
  "startTime":null,"snapshots":[],"other":{},"virtualizationMode":"pv"})";
const char* const kV3 = R"({"name_label":"Production DB 32","name_description":"PostgreSQL 16","power_state":"Suspended",
  "tags":["Production","db"],"CPUs":{"max":8,"number":32},"memory":{"size":8589934592},"auto_poweron":false,
  "high_availability":"best-effort","snapshots":["s4"],"other":{},"virtualizationMode":"hvm"})";

std::string matching(const std::string& filter) {
  std::string out;
  const char* names[] = {"V1", "V2", "V3"};
  const char* objects[] = {kV1, kV2, kV3};
  for (int i = 0; i < 3; ++i) {
    std::string error;
    bool m = match(filter, objects[i], &error);
    if (!error.empty()) return "error: " + error;
    if (m) out += (out.empty() ? "" : ",") + std::string(names[i]);
  }
  return out.empty() ? "none" : out;
}

struct Example {
  const char* filter;
  const char* expected;
};

const Example kExamples[] = {
    {"prod", "V1,V3"},
    {"PROD", "V1,V3"},
    {"\"db test\"", "V2"},
    {"db test", "V2"},
    {"power_state:running", "V1"},
    {"power_state:Run", "V1"},
    {"!power_state:Halted", "V1,V3"},
    {"power_state:!Halted", "V1,V3"},
    {"|(power_state:Halted power_state:Suspended)", "V2,V3"},
    {"power_state:|(halted suspended)", "V2,V3"},
    {"tags:prod", "V1,V3"},
    {"tags:/^prod$/", "V1"},
    {"tags:/^prod$/i", "V1"},
    {"!tags:prod", "V2"},
    {"name_label:web*01", "V1"},
    {"name_label:p*db", "V3"},
    {"name_label:/^db/i", "V2"},
    {"name_label:/^db/", "none"},
    {"CPUs:number:2", "V1,V2"},
    {"CPUs:number:>2", "V3"},
    {"CPUs:max:>=4", "V1,V3"},
    {"memory:size:<=2147483648", "V2"},
    {"auto_poweron?", "V1"},
    {"!auto_poweron?", "V2,V3"},
    {"high_availability?", "V1,V3"},
    {"startTime?", "V1"},
    {"startTime:<1", "V2"},
    {"snapshots:length:>2", "V1"},
    {"$VBDs:length:>=1", "none"},
    {"32", "V3"},
    {"\"32\"", "V3"},
    {"CPUs:\"32\"", "none"},
    {"10.0.0", "V1"},
    {"addresses:10.0.0", "V1"},
    {"other:\"xo:backup:job\"?", "V1"},
    {"\"xo:backup:job\"", "none"},
    {"name_description:\"\"", "V1,V2,V3"},
    {"name_description?", "V1,V3"},
    {"tags:*", "V1,V3"},
    {"!(power_state:Running virtualizationMode:hvm)", "V2,V3"},
    {"virtualizationMode:hvm power_state:Halted", "none"},
    {"tags:HA and !high_availability?", "none"},
    {"auto_poweron:true", "none"},
    {"name_label:", "error: parse error: expected end of input at position 10"},
    {"", "V1,V2,V3"},
    {"   ", "V1,V2,V3"},
};

BOOST_AUTO_TEST_CASE(every_worked_example_of_the_reference_matches_the_same_vms) {
  for (const Example& e : kExamples) {
    BOOST_TEST_CONTEXT("filter " << e.filter) { BOOST_TEST(matching(e.filter) == e.expected); }
  }
}

}  // namespace
}  // namespace xr::filter::testing

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "xo/rrd_stats.h"

using namespace xr;

namespace {

std::string stats_of(const char* rrd_json, const char* type, const char* uuid, int64_t step, Status* status = nullptr) {
  rapidjson::Document rrd;
  rrd.Parse(rrd_json);
  rapidjson::Document out;
  Status s = xo::rrd_stats(rrd, type, uuid, step, 1000, &out, out.GetAllocator());
  if (status != nullptr) *status = s;
  if (!s.is_ok()) return s.message();
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  out.Accept(w);
  return b.GetString();
}

const char* kRrd = R"({"meta":{"start":10,"step":5,"end":20,"rows":3,"columns":6,"legend":[
  "AVERAGE:host:H:cpu1","AVERAGE:host:H:memory_total_kib","AVERAGE:vm:V:cpu0",
  "AVERAGE:vm:V:memory_internal_free","AVERAGE:host:H:iops_read_abcd1234","AVERAGE:host:H:weird"]},
  "data":[{"t":20,"values":["0.5","2","0.25","NaN","3","1"]},
          {"t":15,"values":["0.1","2","0.125","1","4","1"]},
          {"t":10,"values":[0.2,2,"NaN","1","5","1"]}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(xo_rrd_stats)

BOOST_AUTO_TEST_CASE(host_series_are_named_scaled_and_oldest_first) {
  // cpu: float32 then x100; memory_total_kib x1024; iops by SR; unknown metrics skipped
  BOOST_TEST(stats_of(kRrd, "host", "H", 5) ==
             R"({"endTimestamp":20.0,"interval":5,"stats":{"cpus":{"1":[20.000000298023225,10.000000149011612,50.0]},)"
             R"("memory":[2048.0,2048.0,2048.0],"iops":{"r":{"abcd1234":[5.0,4.0,3.0]}}}})");
}

BOOST_AUTO_TEST_CASE(vm_series_keep_nan_as_null_and_other_objects_are_ignored) {
  BOOST_TEST(stats_of(kRrd, "vm", "V", 5) ==
             R"({"endTimestamp":20.0,"interval":5,"stats":{"cpus":{"0":[null,12.5,25.0]},"memoryFree":[1024.0,1024.0,null]}})");
  // nothing for this object: the server time and an empty stats object
  BOOST_TEST(stats_of(kRrd, "vm", "other", 5) == R"({"endTimestamp":1000,"interval":5,"stats":{}})");
}

BOOST_AUTO_TEST_CASE(a_wrong_step_is_xo_faulty_granularity) {
  Status s;
  BOOST_TEST(stats_of(kRrd, "host", "H", 60, &s) == "Unable to get the true granularity: 5");
  BOOST_TEST(s.kind() == ErrorKind::kProtocol);
  BOOST_TEST(stats_of("[]", "host", "H", 5, &s) == "rrd_updates: no meta");
}

BOOST_AUTO_TEST_CASE(steps_points_and_dates) {
  BOOST_TEST(*xo::stats_step("seconds") == 5);
  BOOST_TEST(*xo::stats_step("days") == 86400);
  BOOST_TEST(!xo::stats_step("weeks").has_value());
  BOOST_TEST(xo::stats_points(3600) == 168);
  BOOST_TEST(xo::stats_points(86400) == 366);
  BOOST_TEST(*xo::parse_xapi_datetime("20240101T00:00:10Z") == 1704067210);
  BOOST_TEST(*xo::parse_xapi_datetime("2024-01-01T00:00:10.123Z") == 1704067210);
  BOOST_TEST(!xo::parse_xapi_datetime("nope").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// Round trip of XO objects through the cache's flat records: views, JSON text, projection.
#include <boost/test/unit_test.hpp>

#include "cache/field_list.h"
#include "cache/reader.h"
#include "cache/writer.h"
#include "sample_objects.h"
#include "test_support.h"

namespace xr::cache {
namespace {

using testing::same_view;
using testing::to_json;

struct Fixture {
  Segment seg = std::move(Segment::create({16u << 20, 1024}).value());
  Writer writer{seg};
  Reader reader{seg};
  rapidjson::Document doc;

  std::string get(std::string_view coll, std::string_view id) {
    std::string out;
    BOOST_REQUIRE(reader.get_json(coll, id, out));
    return out;
  }
  std::string project(std::string_view coll, std::string_view id, std::string_view fields) {
    FieldList f = FieldList::parse(fields);
    std::string out;
    auto r = reader.visit(coll, id, out, [&](const ObjectView& v, std::string& o) { v.append_fields(f, o); });
    BOOST_REQUIRE(r.is_ok() && r.value());
    return out;
  }
};

BOOST_FIXTURE_TEST_SUITE(cache_view, Fixture)

BOOST_AUTO_TEST_CASE(full_object_text_equals_input_serialisation) {
  rapidjson::Value vm = samples::make_vm(7, "pool-a", doc.GetAllocator());
  BOOST_REQUIRE(writer.put("vms", samples::uuid_for(1, 7), vm).is_ok());
  BOOST_TEST(get("vms", samples::uuid_for(1, 7)) == to_json(vm));
}

BOOST_AUTO_TEST_CASE(view_equals_input_json_through_every_view_method) {
  for (unsigned i = 0; i < 20; ++i) {
    rapidjson::Value vm = samples::make_vm(i, "pool-a", doc.GetAllocator());
    BOOST_REQUIRE(writer.put("vms", samples::uuid_for(1, i), vm).is_ok());
    std::string where;
    bool same = false;
    std::string sink;
    auto r = reader.visit("vms", samples::uuid_for(1, i), sink, [&](const ObjectView& v, std::string&) {
      same = same_view(RapidJsonView(&vm), v, &where) && same_view(v, RapidJsonView(&vm), &where);
    });
    BOOST_REQUIRE(r.is_ok() && r.value());
    BOOST_TEST(same, "vm " << i << " differs at " << where);
  }
}

BOOST_AUTO_TEST_CASE(escaped_strings_and_keys_read_back_unescaped) {
  doc.Parse(R"({"id":"x1","na\"me":"a\"b\\c\nd\u00e9\ud83d\ude00","nested":{"k\tey":["q\"",1.5,-2e3,true,null]},"plain":"ok"})");
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_REQUIRE(writer.put("things", "x1", doc).is_ok());
  std::string where, sink;
  bool same = false;
  auto r = reader.visit("things", "x1", sink, [&](const ObjectView& v, std::string&) {
    same = same_view(RapidJsonView(&doc), v, &where);
    ObjectView s;
    BOOST_TEST(v.find("na\"me", &s));
    BOOST_TEST(s.string() == "a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80");
  });
  BOOST_REQUIRE(r.is_ok() && r.value());
  BOOST_TEST(same, "differs at " << where);
  BOOST_TEST(get("things", "x1") == to_json(doc));
}

BOOST_AUTO_TEST_CASE(projection_copies_fields_in_request_order_and_omits_missing) {
  rapidjson::Value vm = samples::make_vm(14, "pool-a", doc.GetAllocator());
  std::string id = samples::uuid_for(1, 14);
  BOOST_REQUIRE(writer.put("vms", id, vm).is_ok());
  std::string expected = R"({"name_label":)" + to_json(vm["name_label"]) + R"(,"power_state":)" +
                         to_json(vm["power_state"]) + "}";
  BOOST_TEST(project("vms", id, "name_label,power_state") == expected);
  BOOST_TEST(project("vms", id, "power_state,nope,power_state") ==
             R"({"power_state":)" + to_json(vm["power_state"]) + "}");
  BOOST_TEST(project("vms", id, "") == "{}");
  BOOST_TEST(project("vms", id, "*") == to_json(vm));
  BOOST_TEST(project("vms", id, " name_label") == "{}");  // names are not trimmed
}

BOOST_AUTO_TEST_CASE(dotted_paths_pick_nested_parts_like_lodash) {
  doc.Parse(R"({"id":"v","CPUs":{"max":4,"number":2},"memory":{"size":5},"tags":["first","second"],"a.b":1,"a":{"b":2}})");
  BOOST_REQUIRE(writer.put("vms", "v", doc).is_ok());
  BOOST_TEST(project("vms", "v", "CPUs.number,memory.size") == R"({"CPUs":{"number":2},"memory":{"size":5}})");
  BOOST_TEST(project("vms", "v", "CPUs.number,CPUs.max") == R"({"CPUs":{"number":2,"max":4}})");
  BOOST_TEST(project("vms", "v", "tags.0") == R"({"tags":["first"]})");
  BOOST_TEST(project("vms", "v", "tags.1") == R"({"tags":[null,"second"]})");
  BOOST_TEST(project("vms", "v", "a.b") == R"({"a.b":1})");  // a literal key wins over the path
  BOOST_TEST(project("vms", "v", "CPUs.nope,memory") == R"({"memory":{"size":5}})");
}

BOOST_AUTO_TEST_CASE(members_without_braces_let_the_caller_append_href) {
  rapidjson::Value vm = samples::make_vm(3, "pool-a", doc.GetAllocator());
  std::string id = samples::uuid_for(1, 3);
  BOOST_REQUIRE(writer.put("vms", id, vm).is_ok());
  FieldList f = FieldList::parse("power_state");
  std::string out;
  bool any = false;
  auto r = reader.visit("vms", id, out, [&](const ObjectView& v, std::string& o) { any = v.append_members(f, o); });
  BOOST_REQUIRE(r.is_ok() && r.value());
  BOOST_TEST(any);
  BOOST_TEST(out == R"("power_state":"Halted")");
}

BOOST_AUTO_TEST_CASE(unknown_objects_and_collections_are_not_found) {
  std::string out;
  BOOST_TEST(!reader.get_json("vms", "nope", out));
  rapidjson::Value vm = samples::make_vm(1, "p", doc.GetAllocator());
  BOOST_REQUIRE(writer.put("vms", "a", vm).is_ok());
  BOOST_TEST(!reader.get_json("vms", "b", out));
  BOOST_TEST(!reader.get_json("hosts", "a", out));
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(projection_is_right_when_objects_order_keys_differently) {
  // The FieldList remembers member positions between objects: they must only be hints.
  const char* texts[] = {R"({"id":"1","a":1,"b":2,"c":3})", R"({"id":"2","c":30,"b":20})",
                         R"({"b":200,"id":"3","x":0,"a":100})", R"({"id":"4"})"};
  for (const char* t : texts) {
    rapidjson::Document d;
    d.Parse(t);
    BOOST_REQUIRE(writer.put("things", d["id"].GetString(), d).is_ok());
  }
  FieldList f = FieldList::parse("a,b");
  for (bool prefetch : {false, true}) {
    ScanCursor cur;
    if (prefetch) cur.prefetch = &f;
    std::string out;
    while (!cur.done) {
      BOOST_REQUIRE(reader.scan("things", cur, out, 1 << 20, [&](const ObjectView& v, std::string& o) {
                       v.append_fields(f, o);
                       o.push_back('\n');
                       return true;
                     }).is_ok());
    }
    BOOST_TEST(out == "{\"a\":1,\"b\":2}\n{\"b\":20}\n{\"a\":100,\"b\":200}\n{}\n");
  }
}

BOOST_AUTO_TEST_CASE(bad_input_is_rejected_with_invalid_argument) {
  rapidjson::Value arr(rapidjson::kArrayType);
  BOOST_TEST(writer.put("vms", "a", arr).kind() == ErrorKind::kInvalidArgument);
  rapidjson::Value obj(rapidjson::kObjectType);
  BOOST_TEST(writer.put("vms", std::string(81, 'x'), obj).kind() == ErrorKind::kInvalidArgument);
  BOOST_TEST(writer.put(std::string(49, 'c'), "a", obj).kind() == ErrorKind::kInvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace xr::cache

// XO's action parameter schemas: validation before anything starts, and the catalogue's rows.
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <set>
#include <string>

#include "actions/action.h"
#include "actions/params.h"
#include "routes/route_table.h"

using namespace xr;
using namespace xr::app;

namespace {

rapidjson::Document parse(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  return d;
}

constexpr std::string_view kSchema =
    R"({"name_label":{"type":"string","optional":true},"hostId":{"type":"string"},)"
    R"("fast":{"type":"boolean","default":true},"mode":{"type":"string","optional":true,"enum":["a","b"]}})";

}  // namespace

BOOST_AUTO_TEST_SUITE(action_params)

BOOST_AUTO_TEST_CASE(valid_parameters_are_normalised_with_defaults) {
  rapidjson::Document out;
  auto body = parse(R"({"name_label":"x","host_id":"h1"})");
  Status s = actions::validate_params(kSchema, body, &out);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), s.to_string());
  BOOST_CHECK_EQUAL(out["name_label"].GetString(), std::string("x"));
  BOOST_CHECK_EQUAL(out["hostId"].GetString(), std::string("h1"));
  BOOST_CHECK(out["fast"].GetBool());
  BOOST_CHECK(!out.HasMember("mode"));
}

BOOST_AUTO_TEST_CASE(every_problem_is_named_in_one_422) {
  rapidjson::Document out;
  auto body = parse(R"({"name_label":"","fast":"yes","mode":"c","extra":1})");
  Status s = actions::validate_params(kSchema, body, &out);
  BOOST_CHECK(s.kind() == ErrorKind::kInvalidParameters);
  for (const char* name : {"body.name_label", "body.hostId", "body.fast", "body.mode", "body.extra"}) {
    BOOST_CHECK_MESSAGE(s.message().find(name) != std::string::npos, name << " in " << s.message());
  }
  BOOST_CHECK(!out.IsObject() || out.MemberCount() == 0);
}

BOOST_AUTO_TEST_CASE(no_schema_accepts_no_body_or_an_empty_object_only) {
  rapidjson::Document out;
  rapidjson::Value null_body;
  BOOST_CHECK(actions::validate_params("", null_body, &out).is_ok());
  auto empty = parse("{}");
  BOOST_CHECK(actions::validate_params("", empty, &out).is_ok());
  auto extra = parse(R"({"force":true})");
  BOOST_CHECK(actions::validate_params("", extra, &out).kind() == ErrorKind::kInvalidParameters);
  auto array = parse("[1]");
  BOOST_CHECK(actions::validate_params("", array, &out).kind() == ErrorKind::kInvalidParameters);
}

BOOST_AUTO_TEST_CASE(spellings_convert_between_snake_and_camel_case) {
  BOOST_CHECK_EQUAL(actions::snake_of("nameLabel"), "name_label");
  BOOST_CHECK_EQUAL(actions::camel_of("name_label"), "nameLabel");
  BOOST_CHECK_EQUAL(actions::camel_of("hostId"), "hostId");
}

BOOST_AUTO_TEST_CASE(the_json_schema_form_marks_required_and_closed_objects) {
  auto js = parse(actions::json_schema_of(kSchema).c_str());
  BOOST_REQUIRE(js.IsObject());
  BOOST_CHECK_EQUAL(js["required"].Size(), 1u);
  BOOST_CHECK_EQUAL(js["required"][0].GetString(), std::string("hostId"));
  BOOST_CHECK(!js["additionalProperties"].GetBool());
  BOOST_CHECK(!js["properties"]["name_label"].HasMember("optional"));
}

BOOST_AUTO_TEST_CASE(every_catalogue_action_has_a_route_a_valid_schema_and_an_executor) {
  std::set<std::string> posts;
  for (const Route& r : routes()) {
    if (r.method == "POST") posts.insert(std::string(r.pattern));
  }
  for (const actions::ActionSpec& a : actions::catalogue()) {
    const std::string pattern = "rest/v0/" + std::string(a.collection) + "/{id}/actions/" + std::string(a.name);
    BOOST_CHECK_MESSAGE(posts.count(pattern) == (a.hidden ? 0u : 1u), pattern);
    BOOST_CHECK(a.execute != nullptr);
    BOOST_CHECK(!a.label.empty() && !a.object_type.empty() && !a.operation_id.empty());
    if (!a.params.empty()) {
      auto d = parse(std::string(a.params).c_str());
      BOOST_CHECK_MESSAGE(d.IsObject(), a.name);
    }
    if (a.returns == actions::Returns::kNewObject) BOOST_CHECK(!a.created_collection.empty());
    BOOST_CHECK(actions::find_action(a.collection, a.name) == &a);
  }
  BOOST_CHECK(actions::find_action("vms", "nope") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

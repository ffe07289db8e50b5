// The route table's metadata and the OpenAPI document generated from it.
#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <set>
#include <string>

#include "openapi/document.h"
#include "routes/route_table.h"

using namespace xr::app;

namespace {

std::vector<std::string> segs(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

const rapidjson::Document& doc() {
  static rapidjson::Document d = [] {
    rapidjson::Document x;
    x.Parse(openapi::document_json().c_str());
    return x;
  }();
  return d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_doc)

// A new route without its RouteDoc (or with a name the catalogues do not know) fails here:
// each line says which row and what is missing.
BOOST_AUTO_TEST_CASE(every_route_is_fully_described) {
  auto problems = openapi::check_routes();
  for (const auto& p : problems) BOOST_ERROR(p);
  BOOST_TEST(problems.empty());
}

BOOST_AUTO_TEST_CASE(the_check_catches_missing_or_wrong_metadata) {
  const Route bad[] = {
      {"GET", "rest/v0/bare", Access::kAdmin, nullptr},
      {"GET", "rest/v0/a", Access::kAdmin, nullptr, {"GetA", "a", Mcp::kAllow, "fields nosuch", "", "200 [NoSchema]"}},
      {"GET", "rest/v0/b", Access::kAdmin, nullptr, {"GetA", "b", Mcp::kAllow, "", "NoBody", "20x"}},
      {"GET", "rest/v0/b", Access::kAdmin, nullptr, {"GetB", "b", Mcp::kDeny, "", "", "404"}},
  };
  auto problems = openapi::check_routes(bad);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  BOOST_TEST_MESSAGE(all);
  for (const char* expected : {"GET rest/v0/bare: no operation_id", "GET rest/v0/bare: no summary",
                               "GET rest/v0/bare: no mcp exposure", "unknown query parameter nosuch",
                               "unknown schema NoSchema", "operation_id GetA is used twice",
                               "unknown body schema NoBody", "bad result item \"20x\"",
                               "same method and path as an earlier row", "GET rest/v0/b: no success answer"}) {
    BOOST_TEST_CONTEXT(expected) { BOOST_TEST(all.find(expected) != std::string::npos); }
  }
}

BOOST_AUTO_TEST_CASE(document_is_openapi_3_1_with_every_route) {
  const auto& d = doc();
  BOOST_REQUIRE(d.IsObject());
  BOOST_TEST(std::string(d["openapi"].GetString()) == "3.1.0");
  const auto& paths = d["paths"];
  for (const Route& r : routes()) {
    const std::string path = openapi::path_of(r.pattern);
    if (path.empty()) continue;
    std::string method = r.method == "*" ? "get" : std::string(r.method);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    BOOST_TEST_CONTEXT(r.method << " " << r.pattern) {
      BOOST_REQUIRE(paths.HasMember(path.c_str()));
      BOOST_REQUIRE(paths[path.c_str()].HasMember(method.c_str()));
      const auto& op = paths[path.c_str()][method.c_str()];
      BOOST_TEST(std::string(op["operationId"].GetString()) == std::string(r.doc.operation_id));
    }
  }
}

// Both ways: each operation of the document is a row of the table, matched by the
// dispatcher's own matcher when its path parameters are filled in.
BOOST_AUTO_TEST_CASE(every_document_operation_is_routed) {
  const auto& paths = doc()["paths"];
  for (auto& p : paths.GetObject()) {
    std::string path = p.name.GetString();
    std::string filled;
    for (const auto& s : segs(path)) {  // every {name} ("{id}", "{id}.{format}") becomes x1
      std::string seg;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '{') {
          seg += s[i];
          continue;
        }
        seg += "x1";
        i = s.find('}', i);
      }
      filled += "/" + seg;
    }
    const auto request = segs("rest/v0" + filled);
    for (auto& m : p.value.GetObject()) {
      std::string method = m.name.GetString();
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::vector<std::string> params;
      const Route* r = find_route(method, request, &params);
      BOOST_TEST_CONTEXT(method << " " << path) {
        BOOST_REQUIRE(r != nullptr);
        BOOST_TEST(std::string(r->doc.operation_id) == m.value["operationId"].GetString());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(operations_carry_security_exposure_and_errors) {
  const auto& vms = doc()["paths"]["/vms"]["get"];
  BOOST_TEST(std::string(vms["x-mcp-exposure"].GetString()) == "allow");
  BOOST_TEST(vms["security"].Size() == 2u);
  BOOST_TEST(vms["responses"].HasMember("401"));
  BOOST_TEST(vms["responses"].HasMember("400"));
  const auto& ping = doc()["paths"]["/ping"]["get"];
  BOOST_TEST(ping["security"].Size() == 0u);
  BOOST_TEST(!ping["responses"].HasMember("403"));
  const auto& vm = doc()["paths"]["/vms/{id}"]["get"];
  BOOST_TEST(vm["responses"].HasMember("404"));
  BOOST_TEST(std::string(vm["parameters"][0]["name"].GetString()) == "id");
}

BOOST_AUTO_TEST_CASE(operation_ids_are_unique_and_refs_resolve) {
  std::set<std::string> ids;
  const auto& d = doc();
  for (auto& p : d["paths"].GetObject()) {
    for (auto& m : p.value.GetObject()) {
      BOOST_TEST(ids.insert(m.value["operationId"].GetString()).second);
    }
  }
  // Every $ref names a component schema.
  std::string text = openapi::document_json();
  const std::string key = "\"$ref\":\"#/components/schemas/";
  for (size_t i = text.find(key); i != std::string::npos; i = text.find(key, i + 1)) {
    size_t start = i + key.size();
    std::string name = text.substr(start, text.find('"', start) - start);
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(d["components"]["schemas"].HasMember(name.c_str())); }
  }
}

BOOST_AUTO_TEST_CASE(paths_of_patterns) {
  BOOST_TEST(openapi::path_of("rest/v0/vms/{id}") == "/vms/{id}");
  BOOST_TEST(openapi::path_of("rest/v0") == "/");
  BOOST_TEST(openapi::path_of("rest/v0/users/me/**") == "/users/me/{path}");
  BOOST_TEST(openapi::path_of("metrics") == "");
}

BOOST_AUTO_TEST_CASE(dispatch_matches_first_row_and_captures) {
  std::vector<std::string> params;
  const Route* r = find_route("GET", segs("rest/v0/users/me"), &params);
  BOOST_REQUIRE(r != nullptr);
  BOOST_TEST(std::string(r->doc.operation_id) == "RedirectMe");
  r = find_route("HEAD", segs("rest/v0/vms/abc/vdis"), &params);
  BOOST_REQUIRE(r != nullptr);
  BOOST_TEST(std::string(r->doc.operation_id) == "GetVmVdis");
  BOOST_REQUIRE(params.size() == 1u);
  BOOST_TEST(params[0] == "abc");
  r = find_route("DELETE", segs("rest/v0/users/me/authentication_tokens/t1"), &params);
  BOOST_REQUIRE(r != nullptr);
  BOOST_TEST(params[0] == "/authentication_tokens/t1");
  BOOST_TEST(find_route("GET", segs("rest/v0/hosts/abc/vdis"), &params) == nullptr);
  BOOST_TEST(find_route("POST", segs("rest/v0/vms"), &params) == nullptr);
  BOOST_TEST(find_route("GET", segs("rest/v0/nothing"), &params) == nullptr);
}

// Literal segments compare with the path as sent; captures are decoded and never empty.
BOOST_AUTO_TEST_CASE(literals_match_raw_segments_and_captures_are_decoded) {
  std::vector<std::string> params;
  BOOST_TEST(find_route("GET", split_raw_path("/rest/v0/vm%73"), &params) == nullptr);
  BOOST_TEST(find_route("GET", split_raw_path("/rest/v0//vms"), &params) == nullptr);
  BOOST_TEST(find_route("GET", split_raw_path("/rest/v0/vms//"), &params) == nullptr);
  const Route* r = find_route("GET", split_raw_path("/rest/v0/vms/a%2Db"), &params);
  BOOST_REQUIRE(r != nullptr);
  BOOST_TEST(std::string(r->doc.operation_id) == "GetVm");
  BOOST_TEST(params[0] == "a-b");
}

BOOST_AUTO_TEST_SUITE_END()

#include <boost/test/unit_test.hpp>

#include <fcgiapp.h>

#include <string>
#include <vector>

#include "routes/http_errors.h"
#include "routes/list_output.h"
#include "routes/markdown_table.h"
#include "worker/request.h"

using namespace xr;
using namespace xr::app;

namespace {

// A Request over a fake FastCGI environment carrying only the query string.
struct FakeRequest {
  explicit FakeRequest(const std::string& qs)
      : env_strings{"REQUEST_METHOD=GET", "REQUEST_URI=/rest/v0/vms?" + qs, "QUERY_STRING=" + qs} {
    for (auto& s : env_strings) env.push_back(s.data());
    env.push_back(nullptr);
    fcgi.envp = env.data();
  }
  std::vector<std::string> env_strings;
  std::vector<char*> env;
  FCGX_Request fcgi{};
};

Result<ListOptions> options(const std::string& qs) {
  FakeRequest r(qs);
  Request req(&r.fcgi);
  std::string data;
  return parse_list_options(req, &data);
}

std::string markdown(const std::vector<std::string>& elements) {
  MarkdownTable t;
  std::string out;
  for (const auto& e : elements) t.add(e, out);
  t.finish(out);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(app_list_format)

BOOST_AUTO_TEST_CASE(markdown_table_matches_xo_make_markdown_table) {
  BOOST_TEST(markdown({}) == "No results.");
  BOOST_TEST(markdown({R"("/rest/v0/vms/a")", R"("/rest/v0/vms/b")"}) == "/rest/v0/vms/a\n/rest/v0/vms/b");
  BOOST_TEST(markdown({R"({"id":"vm1","name":"Web","href":"/h1"})", R"({"id":"vm2","name":"DB","href":"/h2"})"}) ==
             "| id | name |\n| --- | --- |\n| vm1 | Web |\n| vm2 | DB |");
  // Escapes, null, absent keys, nested values as compact JSON, numbers and booleans as text.
  BOOST_TEST(markdown({R"({"a":"x|y\nz","b":null,"c":{"d":[1,"|"]},"e":2.5,"f":true})", R"({"a":"q"})"}) ==
             "| a | b | c | e | f |\n| --- | --- | --- | --- | --- |\n"
             "| x\\|y z |  | {\"d\":[1,\"\\|\"]} | 2.5 | true |\n| q |  |  |  |  |");
  // Columns come from the first element only; fields= (empty) gives objects with href only.
  BOOST_TEST(markdown({R"({"href":"/h"})"}) == "|  |\n|  |\n|  |");
}

BOOST_AUTO_TEST_CASE(limit_is_parsed_like_xo) {
  BOOST_TEST(*options("limit=5")->limit == 5u);
  BOOST_TEST(*options("limit=0")->limit == 0u);
  BOOST_TEST(*options("limit=-0")->limit == 0u);
  BOOST_TEST(*options("limit=5.")->limit == 5u);
  BOOST_TEST(*options("limit=%2B5")->limit == 5u);
  BOOST_TEST(*options("limit=1e1")->limit == 10u);
  for (const char* everything : {"limit=1e20", "limit=1e400", "limit=-1", "limit=1.5", "limit=e5", "limit=-."}) {
    auto o = options(everything);
    BOOST_REQUIRE(o.is_ok());
    BOOST_TEST(!o->limit.has_value(), everything);
  }
  for (const char* bad : {"limit=Infinity", "limit=-Infinity", "limit=0x10", "limit=%205", "limit=",
                          "limit=abc", "limit=1e", "limit=.", "limit=-"}) {
    auto o = options(bad);
    BOOST_REQUIRE(!o.is_ok());
    BOOST_TEST(http_status(o.status()) == 422, bad);
  }
  BOOST_TEST(options("limit=abc").status().message() ==
             R"({"limit":{"message":"invalid float number","value":"abc"}})");
}

BOOST_AUTO_TEST_CASE(markdown_flag_and_repeated_keys_are_xo_422s) {
  BOOST_TEST(options("markdown=true")->markdown);
  BOOST_TEST(!options("markdown=TRUE")->markdown);  // valid, but only "true" switches
  BOOST_TEST(!options("markdown=false")->markdown);
  BOOST_TEST(options("markdown").status().message() ==
             R"({"markdown":{"message":"invalid boolean value","value":""}})");
  BOOST_TEST(options("ndjson=true&markdown=true").status().message() ==
             "Cannot use both ndjson and markdown output formats simultaneously");
  BOOST_TEST(http_status(options("ndjson=true&markdown=true").status()) == 422);
  BOOST_TEST(options("fields=a&fields=b&limit=x").status().message() ==
             R"({"fields":{"message":"invalid string value","value":["a","b"]},)"
             R"("limit":{"message":"invalid float number","value":"x"}})");
  BOOST_TEST(options("limit=1&limit=2").status().message() ==
             R"({"limit":{"message":"invalid float number","value":["1","2"]}})");
  BOOST_TEST(options("ndjson").value().ndjson);  // the seed's bare flag stays ours
}

BOOST_AUTO_TEST_SUITE_END()

#include "routes/js_json.h"
#include "worker/xapi_reads.h"

BOOST_AUTO_TEST_SUITE(app_js_json)

BOOST_AUTO_TEST_CASE(objects_put_array_index_keys_first_and_numbers_print_as_javascript) {
  rapidjson::Document d;
  d.Parse(R"({"b":1.0,"10":2,"a":[0.5,-0.0,1e21,null],"2":{"x":"y\n"},"01":true})");
  BOOST_TEST(js_json(d) == R"({"2":{"x":"y\n"},"10":2,"b":1,"a":[0.5,0,1e+21,null],"01":true})");
}

BOOST_AUTO_TEST_CASE(pool_member_urls_keep_the_pool_scheme_and_port) {
  BOOST_TEST(XapiReads::member_url("http://127.0.0.1:4000", "127.0.0.2") == "http://127.0.0.2:4000");
  BOOST_TEST(XapiReads::member_url("https://master.example.org", "10.0.0.2") == "https://10.0.0.2");
  BOOST_TEST(XapiReads::member_url("master", "10.0.0.2") == "https://10.0.0.2");
  BOOST_TEST(XapiReads::member_url("https://[fd00::1]:443/", "fd00::2") == "https://[fd00::2]:443");
}

BOOST_AUTO_TEST_SUITE_END()

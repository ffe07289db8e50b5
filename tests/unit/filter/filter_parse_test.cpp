// Parse errors (XO's message and UTF-16 position), the limits that protect the gateway from
// hostile filters, and the 400 body the HTTP layer returns.
#include <boost/test/unit_test.hpp>

#include <string>

#include "filter/parser.h"
#include "filter_test_util.h"

namespace xr::filter::testing {
namespace {

struct Case {
  const char* filter;
  const char* object;
  const char* expected;
};

// Rows checked against complex-matcher like filter_rules_test.cpp ("<ok>" = compiles).
const Case kErrors[] = {
    {R"(name_label:)", R"({})", "parse error: expected end of input at position 10"},
    {R"(())", R"({})", "parse error: expected end of input at position 0"},
    {R"(|a)", R"({})", "parse error: expected end of input at position 0"},
    {R"(!)", R"({})", "parse error: expected end of input at position 0"},
    {R"(?)", R"({})", "parse error: expected end of input at position 0"},
    {R"(x?:1)", R"({})", "parse error: expected end of input at position 2"},
    {R"(x:> 5)", R"({})", "parse error: expected end of input at position 1"},
    {R"(a b c:)", R"({})", "parse error: expected end of input at position 5"},
    {R"(a (b c)", R"({})", "parse error: expected end of input at position 2"},
    {R"(a) b)", R"({})", "parse error: expected end of input at position 1"},
    {R"(email:a@b.c)", R"({})", "parse error: expected end of input at position 7"},
    {R"(a+b)", R"({})", "parse error: expected end of input at position 1"},
    {R"(a /b)", R"({})", "parse error: expected end of input at position 2"},
    {R"("ab\)", R"({})", "parse error: expected end of input at position 0"},
    {R"(x "ab\)", R"({})", "parse error: expected end of input at position 2"},
    {R"(😀)", R"({})", "parse error: expected end of input at position 0"},
    {R"(é😀)", R"({})", "parse error: expected end of input at position 1"},
    {R"("😀" 中)", R"({})", "parse error: expected end of input at position 5"},
    {R"(<=)", R"({})", "parse error: expected end of input at position 0"},
    {R"(a:<==1)", R"({})", "parse error: expected end of input at position 1"},
    {R"([resolve]:x)", R"({})", "parse error: expected end of input at position 0"},
    {R"(a:>x)", R"({})", "value must be a number"},
    {R"(( >.)", R"({})", "value must be a number"},
    {R"(ok /(/)", R"({})", "regex"},
    {R"(/a**/)", R"({})", "regex"},
    {R"(/[b-a]/)", R"({})", "regex"},
    {R"(/x{2,1}/)", R"({})", "regex"},
    {R"(/(?<1a>x)/)", R"({})", "regex"},
    {R"(/(?<a>x)(?<a>y)/)", R"({})", "regex"},
    {R"(/(?<a>x/)", R"({})", "regex"},
    {R"(/(?<n>a)b\k/)", R"({})", "regex"},
    {R"(/(?<a>x)/)", R"({})", "<ok>"},
    {R"(/\/)", R"({})", "<ok>"},
    {R"(/a\\/b/)", R"({})", "<ok>"},
    {R"(a:b:c:d:e:f)", R"({})", "<ok>"},
    {R"(	 a	)", R"({})", "<ok>"},
};

std::string outcome(const char* filter) {
  std::string e = compile_error(filter);
  if (e.rfind("Invalid regular expression", 0) == 0 || e.rfind("Unsupported regular expression", 0) == 0) {
    return "regex";
  }
  return e;
}

BOOST_AUTO_TEST_CASE(parse_errors_carry_xo_messages_and_utf16_positions) {
  for (const Case& c : kErrors) {
    BOOST_TEST_CONTEXT("filter " << c.filter) { BOOST_TEST(outcome(c.filter) == c.expected); }
  }
}

BOOST_AUTO_TEST_CASE(regexes_javascript_would_read_differently_are_refused_clearly) {
  BOOST_TEST(compile_error("/(a)\\1/") ==
             "Unsupported regular expression: /(a)\\1/: a backreference is not supported in filters");
  BOOST_TEST(compile_error("/(?=a)*/").find("quantified lookahead") != std::string::npos);
  BOOST_TEST(compile_error("/(?<=a+)b/").find("Unsupported regular expression") == 0);
  BOOST_TEST(compile_error("/(?<n>a)\\k<n>/").find("backreference") != std::string::npos);
  BOOST_TEST(compile_error("/(?<é>a)/").find("Unsupported regular expression") == 0);
  BOOST_TEST(compile_error("/a{70000}/").find("repeat count") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(oversized_filters_are_refused_before_parsing) {
  std::string big(kMaxFilterBytes + 1, 'a');
  BOOST_TEST(compile_error(big) == "parse error: filter longer than 16384 bytes");
  BOOST_TEST(compile_error(std::string(kMaxFilterBytes, 'a')) == "<ok>");
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_an_error_not_a_stack_overflow) {
  for (const char* open : {"(", "!", "a:", "|("}) {
    std::string deep;
    for (int i = 0; i < 5000; ++i) deep += open;
    deep += "x";
    BOOST_TEST_CONTEXT("nesting " << open) {
      BOOST_TEST(compile_error(deep).find("parse error: nesting deeper than 100") == 0);
    }
  }
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "(";
  ok += "x" + std::string(50, ')');
  BOOST_TEST(match(ok, R"({"a":"x"})"));
}

BOOST_AUTO_TEST_CASE(regex_match_limit_bounds_catastrophic_backtracking) {
  std::string s(5000, 'a');
  BOOST_TEST(!match("a:/^(a|a)*$/", R"({"a":")" + s + "b\"}"));
}

BOOST_AUTO_TEST_CASE(error_body_has_xo_shape_with_the_raw_filter) {
  auto f = compile_query_filter("name_label:\"x");
  BOOST_TEST(f.is_ok());
  auto bad = compile_query_filter("name_label:");
  BOOST_REQUIRE(!bad.is_ok());
  BOOST_TEST(bad.status().kind() == ErrorKind::kInvalidArgument);
  BOOST_TEST(filter_error_body(bad.status(), "name_label:") ==
             R"({"error":"parse error: expected end of input at position 10","data":{"stringToParse":"name_label:"}})");
  BOOST_TEST(filter_error_body(Status(ErrorKind::kInvalidArgument, "m"), "a\"b\\\n") ==
             R"({"error":"m","data":{"stringToParse":"a\"b\\\n"}})");
}

BOOST_AUTO_TEST_CASE(empty_filter_matches_everything_and_says_so) {
  auto f = Filter::compile("  ");
  BOOST_REQUIRE(f.is_ok());
  BOOST_TEST(f->matches_everything());
  BOOST_TEST(!Filter::compile("a")->matches_everything());
}

BOOST_AUTO_TEST_CASE(a_matcher_gives_the_same_answers_as_matches_across_shapes) {
  auto f = Filter::compile("|(b:x a:y) c?");
  BOOST_REQUIRE(f.is_ok());
  auto matcher = f->matcher<RapidJsonView>();
  const char* objects[] = {R"({"a":"y","c":1})", R"({"b":"x","a":"n","c":1})", R"({"z":0,"a":"y","c":0})",
                           R"({"c":1,"b":"x"})", R"({"a":"y"})", R"({"q":1,"r":2,"s":3,"t":4,"u":5,"v":6,"a":"y","c":1})"};
  for (const char* o : objects) {
    auto doc = json(o);
    BOOST_TEST_CONTEXT(o) { BOOST_TEST(matcher(RapidJsonView(&doc)) == f->matches(RapidJsonView(&doc))); }
  }
}

BOOST_AUTO_TEST_CASE(a_budget_bounds_the_match_steps_summed_over_a_scan) {
  // (.|.)* backtracks 2^n ways on a string without '!' or '?': every test of a long string
  // hits PCRE2's per-test limit (1,000,000) and spends it from the scan's budget.
  auto f = Filter::compile("name:/(.|.)*[!?]/");
  BOOST_REQUIRE(f.is_ok());
  auto doc = json(R"({"name":"a string of forty characters, no mark at all"})");
  auto ok = json(R"({"name":"yes!"})");
  MatchBudget budget{2'500'000};
  auto matcher = f->matcher<RapidJsonView>(&budget);
  BOOST_TEST(matcher(RapidJsonView(&ok)));  // cheap: no step counted
  BOOST_TEST(budget.steps_left == 2'500'000u);
  BOOST_TEST(!matcher(RapidJsonView(&doc)));
  BOOST_TEST(budget.steps_left == 1'500'000u);
  BOOST_TEST(!matcher(RapidJsonView(&doc)));
  BOOST_TEST(!matcher(RapidJsonView(&doc)));  // the last 500,000 steps
  BOOST_TEST(budget.spent());
  BOOST_TEST(!matcher(RapidJsonView(&ok)));  // spent: no test runs any more
  BOOST_TEST(f->matches(RapidJsonView(&ok)));  // without a budget, as before
}

}  // namespace
}  // namespace xr::filter::testing

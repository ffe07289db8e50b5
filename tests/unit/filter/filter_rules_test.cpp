// Each matching rule of xo-rest-api.md §d.3 and the traps of its last section, one table
// row each: filter, object, and what complex-matcher 1.1.x answers ("1", "0" or the error).
// The expectations were checked against the npm package (tests/differential has the tool).
#include <boost/test/unit_test.hpp>

#include "filter_test_util.h"

namespace xr::filter::testing {
namespace {

struct Case {
  const char* filter;
  const char* object;
  const char* expected;
};

std::string outcome(const Case& c) {
  std::string error;
  bool m = match(c.filter, c.object, &error);
  return error.empty() ? (m ? "1" : "0") : error;
}

void check(const Case* cases, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    BOOST_TEST_CONTEXT("filter " << cases[i].filter << " on " << cases[i].object) {
      BOOST_TEST(outcome(cases[i]) == cases[i].expected);
    }
  }
}

const Case kStrings[] = {
    {R"(Web)", R"({"a":"my-WEB-vm"})", "1"},
    {R"("")", R"({"a":""})", "1"},
    {R"("")", R"({"a":1})", "0"},
    {R"(a:"")", R"({"a":null})", "0"},
    {R"(web)", R"({"a":{"b":[{"c":["x","web"]}]}})", "1"},
    {R"(web)", R"({"web":1})", "0"},
    {R"(true)", R"({"a":true})", "0"},
    {R"(null)", R"({"a":null})", "0"},
    {R"("1")", R"({"a":1})", "0"},
    {R"(a:"x y")", R"({"a":"ax yb"})", "1"},
    {R"("a\"b\\c")", R"({"a":"A\"B\\C"})", "1"},
    {R"("unterminated)", R"({"a":"an UNTERMINATED quote"})", "1"},
    {R"(σοφια)", R"({"a":"ΣΟΦΙΑ"})", "1"},
    {R"(ας)", R"({"a":"ΑΣ"})", "1"},
    {R"(ασ)", R"({"a":"ΑΣ"})", "0"},
    {R"(k)", R"({"a":"\u212a"})", "1"},
    {R"("i̇")", R"({"a":"İstanbul"})", "1"},
    {R"(i̇)", R"({"a":"İstanbul"})", "parse error: expected end of input at position 1"},
    {R"(straße)", R"({"a":"STRASSE"})", "0"},
    {R"(emoji)", R"({"a":"😀EMOJI"})", "1"},
};

const Case kNumbers[] = {
    {R"(32)", R"({"a":32})", "1"},
    {R"(32)", R"({"a":"v32x"})", "1"},
    {R"(32)", R"({"a":320})", "0"},
    {R"(1)", R"({"a":true})", "0"},
    {R"(1e3)", R"({"a":1000})", "1"},
    {R"(0x10)", R"({"a":16})", "1"},
    {R"(0x10)", R"({"a":"0X10"})", "1"},
    {R"(-1)", R"({"a":[-1]})", "1"},
    {R"(1.0)", R"({"a":1})", "1"},
    {R"(.5)", R"({"a":0.5})", "1"},
    {R"(Infinity)", R"({"a":"infinity"})", "1"},
    {R"(1e400)", R"({"a":"1E400"})", "1"},
};

const Case kGlobs[] = {
    {R"(a:foo*bar)", R"({"a":"xxFOOyyBARzz"})", "1"},
    {R"(a:*)", R"({"a":""})", "1"},
    {R"(a:*)", R"({"a":0})", "0"},
    {R"(a:*)", R"({"a":[]})", "0"},
    {R"(a:*)", R"({"a":[false,"x"]})", "1"},
    {R"(a:f*r)", R"({"a":"f\nr"})", "0"},
    {R"(a:f*r)", R"({"a":"f\u2028r"})", "0"},
    {R"(a:1.*)", R"({"a":"1x"})", "0"},
    {R"(a:1.*)", R"({"a":"1.2"})", "1"},
    {R"(a:$*)", R"({"a":"cost $5"})", "1"},
    {R"(a:é*)", R"({"a":"É"})", "1"},
    {R"(a:ß*)", R"({"a":"ẞ"})", "0"},
};

const Case kRegexes[] = {
    {R"(a:/^db/)", R"({"a":"DB"})", "0"},
    {R"(a:/^db/i)", R"({"a":"DB"})", "1"},
    {R"(a:/b$/)", R"({"a":"ab\n"})", "0"},
    {R"(a:/a.b/)", R"({"a":"a\nb"})", "0"},
    {R"(a:/a[^]b/)", R"({"a":"a\nb"})", "1"},
    {R"(a:/[]/)", R"({"a":"x"})", "0"},
    {R"(a:/^.$/)", R"({"a":"😀"})", "0"},
    {R"(a:/^..$/)", R"({"a":"😀"})", "1"},
    {R"(a:/^\w$/)", R"({"a":"é"})", "0"},
    {R"(a:/é/i)", R"({"a":"É"})", "1"},
    {R"(a:/[à-ÿ]/i)", R"({"a":"É"})", "1"},
    {R"(a:/k/i)", R"({"a":"\u212a"})", "0"},
    {R"(a:/\s/)", R"({"a":"a\u00a0b"})", "1"},
    {R"(a:/\bx\b/)", R"({"a":"a x b"})", "1"},
    {R"(a:/\8/)", R"({"a":"8"})", "1"},
    {R"(a:/a{/)", R"({"a":"a{"})", "1"},
    {R"(a:/]/)", R"({"a":"]"})", "1"},
    {R"(a:/\u{2}/)", R"({"a":"uu"})", "1"},
    {R"(a:/\x4/)", R"({"a":"x4"})", "1"},
    {R"(a:/\cJ/)", R"({"a":"\n"})", "1"},
    {R"(a:/\c/)", R"({"a":"\\c"})", "1"},
    {R"(a:/[\d-z]/)", R"({"a":"-"})", "1"},
    {R"(a:/\1/)", R"({"a":"\u0001"})", "1"},
    {R"(a:/(?<=a)b/)", R"({"a":"ab"})", "1"},
    {R"(a:/(?!a)b/)", R"({"a":"ab"})", "1"},
    {R"(a:/a\/b/)", R"({"a":"a/b"})", "1"},
    {R"(/a/g)", R"({"a":"a","b":"g"})", "1"},
    {R"(/a/g)", R"({"a":"a"})", "0"},
    {R"(a:/(a+)+$/)", R"({"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"})", "0"},
    {R"(a:/^x[]*y$/)", R"({"a":"xy"})", "1"},
    {R"(a:/(?<n>a)(?<$m_2>b)/)", R"({"a":"xaby"})", "1"},
    {R"(a:/(a)b\k/)", R"({"a":"abk"})", "1"},
    {R"(a:/(?<=x(?:é|a))b/)", R"({"a":"xab"})", "1"},
    {R"(a:/(?<=x(?:é|a))b/)", R"({"a":"xéb"})", "1"},
    {R"(a:/(?<=[]|x)b/)", R"({"a":"xb"})", "1"},
};

const Case kComparisons[] = {
    {R"(a:<1)", R"({"a":null})", "1"},
    {R"(a:<1)", R"({})", "0"},
    {R"(a:>5)", R"({"a":"10"})", "1"},
    {R"(a:>5)", R"({"a":" 10 "})", "1"},
    {R"(a:>5)", R"({"a":"0x10"})", "1"},
    {R"(a:>5)", R"({"a":"ten"})", "0"},
    {R"(a:>=1)", R"({"a":true})", "1"},
    {R"(a:<1)", R"({"a":false})", "1"},
    {R"(a:>5)", R"({"a":[10]})", "1"},
    {R"(a:>5)", R"({"a":["10"]})", "1"},
    {R"(a:>5)", R"({"a":[[10]]})", "1"},
    {R"(a:<1)", R"({"a":[]})", "1"},
    {R"(a:<1)", R"({"a":[null]})", "1"},
    {R"(a:>0)", R"({"a":[1,2]})", "0"},
    {R"(a:>0)", R"({"a":{"b":1}})", "0"},
    {R"(a:<1)", R"({"a":""})", "1"},
    {R"(a:>=-Infinity)", R"({"a":-1e308})", "1"},
    {R"(a:<=0x10)", R"({"a":16})", "1"},
    {R"(a:>2)", R"({"a":[{"b":3}]})", "0"},
    {R"(>2)", R"({"a":3})", "0"},
    {R"(a:>abc)", R"({"a":3})", "value must be a number"},
    {R"(a:>1e)", R"({"a":3})", "value must be a number"},
};

const Case kProperties[] = {
    {R"(a:b:c)", R"({"a":{"b":"xcx"}})", "1"},
    {R"(a:b)", R"({"a":null})", "0"},
    // Unlike the reference's prose, p:!x is also true when p is missing (child sees undefined).
    {R"(a:!b)", R"({})", "1"},
    {R"(!a:b)", R"({})", "1"},
    {R"(tags:!prod)", R"({"tags":["prod","x"]})", "0"},
    {R"(tags:0:prod)", R"({"tags":["prod","x"]})", "1"},
    {R"(tags:1:prod)", R"({"tags":["prod","x"]})", "0"},
    {R"(tags:01:x)", R"({"tags":["prod","x"]})", "0"},
    {R"(tags:length:2)", R"({"tags":["prod","x"]})", "1"},
    {R"(a:length:>4)", R"({"a":"hello"})", "1"},
    {R"(a:length:2)", R"({"a":"😀"})", "1"},
    {R"(a:0:w)", R"({"a":"web"})", "1"},
    {R"(a:length:2)", R"({"a":{"length":2}})", "1"},
    {R"(a:length:1)", R"({"a":{}})", "0"},
    {R"("a b":"c:d")", R"({"a b":"xc:dx"})", "1"},
    {R"(a : b)", R"({"a":"b"})", "1"},
    {R"(a:|(b c))", R"({"a":"c"})", "1"},
    {R"(a:(b c))", R"({"a":"b"})", "0"},
    {R"(a:b?)", R"({"a":{"b":1}})", "1"},
    {R"(a.b:c)", R"({"a":{"b":"c"}})", "0"},
};

const Case kTruthy[] = {
    {R"(a?)", R"({"a":[]})", "1"},
    {R"(a?)", R"({"a":{}})", "1"},
    {R"(a?)", R"({"a":"0"})", "1"},
    {R"(a?)", R"({"a":"false"})", "1"},
    {R"(a?)", R"({"a":0})", "0"},
    {R"(a?)", R"({"a":""})", "0"},
    {R"(a?)", R"({"a":null})", "0"},
    {R"(a?)", R"({"a":false})", "0"},
    {R"(a?)", R"({})", "0"},
    {R"(constructor?)", R"({})", "1"},
    {R"(a:map?)", R"({"a":[]})", "1"},
    {R"(a:map?)", R"({"a":{}})", "0"},
    {R"(a:toFixed?)", R"({"a":1})", "1"},
    {R"(a:charAt?)", R"({"a":"s"})", "1"},
    {R"(a:"0"?)", R"({"a":"s"})", "1"},
    {R"(a:"1"?)", R"({"a":"s"})", "0"},
    {R"(constructor:valueOf?)", R"({})", "1"},
    {R"(a:map:call?)", R"({"a":[]})", "1"},
    {R"(a:map:nope?)", R"({"a":[]})", "0"},
};

const Case kCombinators[] = {
    {R"(a and b)", R"({"x":"a","y":"b"})", "0"},
    {R"(a and b)", R"({"x":"a band"})", "1"},
    {R"(a(b))", R"({"x":"ab"})", "1"},
    {R"(a!b)", R"({"x":"a"})", "1"},
    {R"(|(x y) z)", R"({"a":"y z"})", "1"},
    {R"(!(x y))", R"({"a":"x"})", "1"},
    {R"(!!x)", R"({"a":"x"})", "1"},
    {R"(| ( x ))", R"({"a":"x"})", "1"},
};

const Case kArrayLikeObjects[] = {
    // lodash's some() reads {length: n} objects as arrays: only keys "0".."n-1" count.
    {R"(web)", R"({"a":{"length":1,"0":"x","b":"web"}})", "0"},
    {R"(web)", R"({"a":{"length":2,"1":"web"}})", "1"},
    {R"(web)", R"({"a":{"length":1.5,"b":"web"}})", "1"},
    {R"(web)", R"({"a":{"length":"2","b":"web"}})", "1"},
    {R"(2)", R"({"a":{"length":2}})", "0"},
};

BOOST_AUTO_TEST_CASE(strings_match_case_insensitive_substrings_of_any_nested_string_value) {
  check(kStrings, std::size(kStrings));
}
BOOST_AUTO_TEST_CASE(numeric_words_match_equal_numbers_or_substrings_but_never_booleans) {
  check(kNumbers, std::size(kNumbers));
}
BOOST_AUTO_TEST_CASE(globs_are_unanchored_case_insensitive_and_need_a_string) {
  check(kGlobs, std::size(kGlobs));
}
BOOST_AUTO_TEST_CASE(regexes_behave_like_javascript_regexps_on_utf16) { check(kRegexes, std::size(kRegexes)); }
BOOST_AUTO_TEST_CASE(comparisons_coerce_like_javascript_relational_operators) {
  check(kComparisons, std::size(kComparisons));
}
BOOST_AUTO_TEST_CASE(properties_look_up_own_members_indexes_and_lengths) {
  check(kProperties, std::size(kProperties));
}
BOOST_AUTO_TEST_CASE(truthy_properties_follow_javascript_truthiness) { check(kTruthy, std::size(kTruthy)); }
BOOST_AUTO_TEST_CASE(and_or_not_and_literal_boolean_words) { check(kCombinators, std::size(kCombinators)); }
BOOST_AUTO_TEST_CASE(objects_with_a_valid_length_are_searched_like_arrays) {
  check(kArrayLikeObjects, std::size(kArrayLikeObjects));
}

}  // namespace
}  // namespace xr::filter::testing

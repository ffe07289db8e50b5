// A JavaScript RegExp (non-unicode mode, optional `i` flag) executed by PCRE2 (16-bit, JIT):
// the pattern is translated so PCRE2 reads it as JavaScript does; features whose meaning
// would differ are rejected. Compiled once; test() is const and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::filter {

// The PCRE2 match steps one request may still spend on its regular expressions, summed over
// all its tests (issue 17): each test runs with PCRE2's match limit set to the smaller of the
// per-test limit and what is left, and a test that hits its limit spends all of it (PCRE2
// does not tell what a test below its limit used: the request's wall-clock bound covers
// those). One thread.
struct MatchBudget {
  std::uint64_t steps_left = 0;
  bool spent() const { return steps_left == 0; }
};

// Per-scan buffers for JsRegex::test (one thread at a time), and optionally the scan's
// MatchBudget: once spent, every test answers false without running.
class RegexScratch {
 public:
  explicit RegexScratch(MatchBudget* budget = nullptr);
  ~RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;

 private:
  friend class JsRegex;
  std::u16string subject_;
  void* match_data16_;  // pcre2_match_data_16*
  void* match_data8_;   // pcre2_match_data_8*
  MatchBudget* budget_;
  void* mctx16_ = nullptr;  // pcre2_match_context_16*, with the budget's limit (budget_ set)
  void* mctx8_ = nullptr;   // pcre2_match_context_8*
};

class JsRegex {
 public:
  // pattern: the text between the slashes (UTF-16, as JavaScript sees it).
  static Result<std::shared_ptr<const JsRegex>> compile(std::u16string_view pattern, bool ignore_case);
  // RegExp.prototype.test on a UTF-8 string; false when PCRE2 hits its match limit.
  bool test(std::string_view utf8) const;
  bool test(std::string_view utf8, RegexScratch* scratch) const;
  // The PCRE2 pattern we generated (for tests and diagnostics), as UTF-8.
  std::string translated() const;

  ~JsRegex();
  JsRegex(const JsRegex&) = delete;
  JsRegex& operator=(const JsRegex&) = delete;

 private:
  struct Impl;
  explicit JsRegex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Translates a JavaScript pattern to PCRE2 syntax (16-bit, or 8-bit for ASCII-only subjects
// when ascii_subjects); error message on invalid or unsupported patterns.
Result<std::u16string> translate_js_regex(std::u16string_view pattern, bool ignore_case, bool ascii_subjects = false);

}  // namespace xr::filter

// A JavaScript RegExp (non-unicode mode, optional `i` flag) executed by PCRE2 (16-bit, JIT):
// the pattern is translated so PCRE2 reads it as JavaScript does; features whose meaning
// would differ are rejected. Compiled once; test() is const and safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::filter {

// Per-scan buffers for JsRegex::test (one thread at a time).
class RegexScratch {
 public:
  RegexScratch();
  ~RegexScratch();
  RegexScratch(const RegexScratch&) = delete;
  RegexScratch& operator=(const RegexScratch&) = delete;

 private:
  friend class JsRegex;
  std::u16string subject_;
  void* match_data16_;  // pcre2_match_data_16*
  void* match_data8_;   // pcre2_match_data_8*
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

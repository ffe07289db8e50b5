#include "filter/js_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 0
#include <pcre2.h>

#include <algorithm>

#include "filter/js_text.h"

namespace xr::filter {
namespace {

// Backtracking bound: a pathological pattern answers "no match" instead of stalling a worker.
constexpr std::uint32_t kMatchLimit = 1'000'000;

std::string pcre2_message(int err) {
  PCRE2_UCHAR8 buf[256];
  pcre2_get_error_message_8(err, buf, sizeof buf);
  return reinterpret_cast<const char*>(buf);
}

Status unsupported(std::u16string_view pattern, int err) {
  return Status(ErrorKind::kInvalidArgument,
                "Unsupported regular expression: /" + utf16_to_utf8(pattern) + "/: " + pcre2_message(err));
}

}  // namespace

// Two compiled forms: UTF-16 code units (JavaScript's view of any string), and the same
// pattern restricted to ASCII for the common all-ASCII subject, which needs no conversion.
struct JsRegex::Impl {
  pcre2_code_16* code16 = nullptr;
  pcre2_code_8* code8 = nullptr;
  pcre2_match_context_16* mctx16 = nullptr;
  pcre2_match_context_8* mctx8 = nullptr;
  bool jit16 = false, jit8 = false;
  std::u16string translated;
  ~Impl() {
    pcre2_match_context_free_16(mctx16);
    pcre2_match_context_free_8(mctx8);
    pcre2_code_free_16(code16);
    pcre2_code_free_8(code8);
  }
};

RegexScratch::RegexScratch(MatchBudget* budget)
    : match_data16_(pcre2_match_data_create_16(1, nullptr)), match_data8_(pcre2_match_data_create_8(1, nullptr)),
      budget_(budget) {
  if (budget_ == nullptr) return;
  mctx16_ = pcre2_match_context_create_16(nullptr);
  mctx8_ = pcre2_match_context_create_8(nullptr);
}
RegexScratch::~RegexScratch() {
  pcre2_match_context_free_16(static_cast<pcre2_match_context_16*>(mctx16_));
  pcre2_match_context_free_8(static_cast<pcre2_match_context_8*>(mctx8_));
  pcre2_match_data_free_16(static_cast<pcre2_match_data_16*>(match_data16_));
  pcre2_match_data_free_8(static_cast<pcre2_match_data_8*>(match_data8_));
}

JsRegex::JsRegex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsRegex::~JsRegex() = default;

Result<std::shared_ptr<const JsRegex>> JsRegex::compile(std::u16string_view pattern, bool ignore_case) {
  XR_ASSIGN_OR_RETURN(std::u16string translated, translate_js_regex(pattern, ignore_case, false));
  XR_ASSIGN_OR_RETURN(std::u16string ascii16, translate_js_regex(pattern, ignore_case, true));
  std::string ascii(ascii16.begin(), ascii16.end());  // the translation is plain ASCII
  auto impl = std::make_unique<Impl>();
  int err = 0;
  PCRE2_SIZE offset = 0;
  const std::uint32_t options = PCRE2_NO_AUTO_CAPTURE | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
  impl->code16 = pcre2_compile_16(reinterpret_cast<PCRE2_SPTR16>(translated.data()), translated.size(), options,
                                  &err, &offset, nullptr);
  if (impl->code16 == nullptr) return unsupported(pattern, err);
  impl->code8 = pcre2_compile_8(reinterpret_cast<PCRE2_SPTR8>(ascii.data()), ascii.size(), options, &err, &offset, nullptr);
  if (impl->code8 == nullptr) return unsupported(pattern, err);
  impl->jit16 = pcre2_jit_compile_16(impl->code16, PCRE2_JIT_COMPLETE) == 0;
  impl->jit8 = pcre2_jit_compile_8(impl->code8, PCRE2_JIT_COMPLETE) == 0;
  impl->mctx16 = pcre2_match_context_create_16(nullptr);
  impl->mctx8 = pcre2_match_context_create_8(nullptr);
  pcre2_set_match_limit_16(impl->mctx16, kMatchLimit);
  pcre2_set_match_limit_8(impl->mctx8, kMatchLimit);
  impl->translated = std::move(translated);
  return std::shared_ptr<const JsRegex>(new JsRegex(std::move(impl)));
}

bool JsRegex::test(std::string_view utf8, RegexScratch* scratch) const {
  pcre2_match_context_8* mctx8 = impl_->mctx8;
  pcre2_match_context_16* mctx16 = impl_->mctx16;
  MatchBudget* budget = scratch->budget_;
  std::uint32_t limit = kMatchLimit;
  if (budget != nullptr) {
    if (budget->spent()) return false;
    limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(kMatchLimit, budget->steps_left));
    mctx8 = static_cast<pcre2_match_context_8*>(scratch->mctx8_);
    mctx16 = static_cast<pcre2_match_context_16*>(scratch->mctx16_);
  }
  // rc 0 means "matched, ovector too small", which is fine for test().
  int rc;
  if (is_ascii(utf8)) {
    if (budget != nullptr) pcre2_set_match_limit_8(mctx8, limit);
    auto* md = static_cast<pcre2_match_data_8*>(scratch->match_data8_);
    auto subject = reinterpret_cast<PCRE2_SPTR8>(utf8.data());
    rc = impl_->jit8 ? pcre2_jit_match_8(impl_->code8, subject, utf8.size(), 0, 0, md, mctx8)
                     : pcre2_match_8(impl_->code8, subject, utf8.size(), 0, 0, md, mctx8);
  } else {
    if (budget != nullptr) pcre2_set_match_limit_16(mctx16, limit);
    utf8_to_utf16(utf8, &scratch->subject_);
    const std::u16string& s = scratch->subject_;
    auto* md = static_cast<pcre2_match_data_16*>(scratch->match_data16_);
    auto subject = reinterpret_cast<PCRE2_SPTR16>(s.data());
    rc = impl_->jit16 ? pcre2_jit_match_16(impl_->code16, subject, s.size(), 0, 0, md, mctx16)
                      : pcre2_match_16(impl_->code16, subject, s.size(), 0, 0, md, mctx16);
  }
  if (rc == PCRE2_ERROR_MATCHLIMIT && budget != nullptr) budget->steps_left -= limit;
  return rc >= 0;
}

bool JsRegex::test(std::string_view utf8) const {
  RegexScratch scratch;
  return test(utf8, &scratch);
}

std::string JsRegex::translated() const { return utf16_to_utf8(impl_->translated); }

}  // namespace xr::filter

#include "filter/js_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 16
#include <pcre2.h>

#include "filter/js_text.h"

namespace xr::filter {
namespace {

// Backtracking bound: a pathological pattern answers "no match" instead of stalling a worker.
constexpr std::uint32_t kMatchLimit = 1'000'000;

struct MatchData {
  pcre2_match_data* md;
  explicit MatchData(const pcre2_code* code) : md(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(md); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
};

}  // namespace

struct JsRegex::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_context* mctx = nullptr;
  bool jit = false;
  std::u16string translated;
  ~Impl() {
    pcre2_match_context_free(mctx);
    pcre2_code_free(code);
  }
};

JsRegex::JsRegex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsRegex::~JsRegex() = default;

Result<std::shared_ptr<const JsRegex>> JsRegex::compile(std::u16string_view pattern, bool ignore_case) {
  XR_ASSIGN_OR_RETURN(std::u16string translated, translate_js_regex(pattern, ignore_case));
  auto impl = std::make_unique<Impl>();
  int err = 0;
  PCRE2_SIZE offset = 0;
  impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                             PCRE2_NO_AUTO_CAPTURE | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &err, &offset, nullptr);
  if (impl->code == nullptr) {
    PCRE2_UCHAR16 buf[256];
    pcre2_get_error_message(err, buf, 256);
    std::u16string msg;
    for (const PCRE2_UCHAR16* p = buf; *p; ++p) msg.push_back(static_cast<char16_t>(*p));
    return Status(ErrorKind::kInvalidArgument, "Unsupported regular expression: /" +
                                                   utf16_to_utf8(pattern) + "/: " + utf16_to_utf8(msg));
  }
  impl->jit = pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE) == 0;
  impl->mctx = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(impl->mctx, kMatchLimit);
  impl->translated = std::move(translated);
  return std::shared_ptr<const JsRegex>(new JsRegex(std::move(impl)));
}

bool JsRegex::test16(std::u16string_view s) const {
  MatchData data(impl_->code);
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, s.size(), 0, 0, data.md, impl_->mctx)
                      : pcre2_match(impl_->code, subject, s.size(), 0, 0, data.md, impl_->mctx);
  return rc >= 0;
}

RegexScratch::RegexScratch() : match_data_(pcre2_match_data_create(1, nullptr)) {}
RegexScratch::~RegexScratch() { pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_)); }

bool JsRegex::test(std::string_view utf8, RegexScratch* scratch) const {
  utf8_to_utf16(utf8, &scratch->subject_);
  const std::u16string& s = scratch->subject_;
  auto* md = static_cast<pcre2_match_data*>(scratch->match_data_);
  auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
  int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, s.size(), 0, 0, md, impl_->mctx)
                      : pcre2_match(impl_->code, subject, s.size(), 0, 0, md, impl_->mctx);
  return rc >= 0;  // 0 means "matched, ovector too small", which is fine for test()
}

bool JsRegex::test(std::string_view utf8) const {
  std::u16string s;
  utf8_to_utf16(utf8, &s);
  return test16(s);
}

std::string JsRegex::translated() const { return utf16_to_utf8(impl_->translated); }

}  // namespace xr::filter

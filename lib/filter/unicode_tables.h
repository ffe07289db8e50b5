// Unicode and JavaScript-prototype tables generated from Node (tools/gen_unicode_tables.js):
// what complex-matcher's Node sees as cased, lower case, RegExp case folding, inherited names.
// Constant data; any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xr::filter::tables {

struct CodeRange {
  std::uint32_t first, last;
};
struct LowerMapping {
  std::uint32_t from;
  std::uint32_t to[3];  // 0-terminated when shorter
};
struct CanonMapping {
  std::uint16_t from, to;
};

extern const CodeRange kCasedUnits[];  // UTF-16 units c with c != upper(c) or c != lower(c)
extern const std::size_t kCasedUnits_size;
extern const LowerMapping kLower[];  // code points whose toLowerCase() differs, sorted
extern const std::size_t kLower_size;
extern const CodeRange kCased[];  // \p{Cased}
extern const std::size_t kCased_size;
extern const CodeRange kCaseIgnorable[];  // \p{Case_Ignorable}
extern const std::size_t kCaseIgnorable_size;
extern const CanonMapping kCanon[];  // RegExp Canonicalize (non-unicode, i), sorted
extern const std::size_t kCanon_size;
extern const char* const kObjectProto[];  // sorted names, without "length"
extern const std::size_t kObjectProto_size;
extern const char* const kArrayProto[];
extern const std::size_t kArrayProto_size;
extern const char* const kStringProto[];
extern const std::size_t kStringProto_size;
extern const char* const kNumberProto[];
extern const std::size_t kNumberProto_size;
extern const char* const kBooleanProto[];
extern const std::size_t kBooleanProto_size;
extern const char* const kFunctionProto[];
extern const std::size_t kFunctionProto_size;

}  // namespace xr::filter::tables

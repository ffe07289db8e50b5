// Bounded scanning of compact JSON text (as written by RapidJSON's Writer) for the cache's
// lazy views. Pure functions, any thread. Every function stays inside [p, end) even when the
// text is garbage (a reader racing a compaction), and always terminates.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xr::cache::scan {

// p at '"': returns one past the closing quote, or end if unterminated.
const char* skip_string(const char* p, const char* end);
// p at the first character of a value: returns one past its last character (or end).
const char* skip_value(const char* p, const char* end);

// Iterates the elements of an array or the members of an object whose text is [p, end)
// (p at '[' or '{'). For arrays key is empty. Returns false at the end or on malformed text.
class ContainerCursor {
 public:
  ContainerCursor(const char* p, const char* end);
  bool next(std::string_view* key_token, const char** value, const char** value_end);

 private:
  const char* p_;
  const char* end_;
  bool object_;
};

// Unescapes the JSON string token [p, end) (quotes included) into out (UTF-8).
// Returns false on malformed escapes (out then holds what could be decoded).
bool unescape(const char* p, const char* end, std::string* out);
// Appends the JSON string token for text (quotes included) to out.
void append_escaped(std::string_view text, std::string* out);

}  // namespace xr::cache::scan

#include "cache/json_scan.h"

#include "base/utf8.h"

#include <cstdint>

namespace xr::cache::scan {

const char* skip_string(const char* p, const char* end) {
  ++p;  // opening quote
  while (p < end) {
    char c = *p++;
    if (c == '\\') {
      if (p < end) ++p;
    } else if (c == '"') {
      return p;
    }
  }
  return end;
}

const char* skip_value(const char* p, const char* end) {
  if (p >= end) return end;
  if (*p == '"') return skip_string(p, end);
  if (*p != '{' && *p != '[') {
    while (p < end && *p != ',' && *p != '}' && *p != ']') ++p;
    return p;
  }
  // Containers: count brackets outside strings, iteratively (no recursion on garbage).
  int depth = 0;
  while (p < end) {
    char c = *p;
    if (c == '"') {
      p = skip_string(p, end);
      continue;
    }
    ++p;
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return p;
    }
  }
  return end;
}

ContainerCursor::ContainerCursor(const char* p, const char* end)
    : p_(p + 1), end_(end), object_(p < end && *p == '{') {
  if (p >= end) p_ = end;
}

bool ContainerCursor::next(std::string_view* key_token, const char** value, const char** value_end) {
  if (p_ >= end_ || *p_ == '}' || *p_ == ']') return false;
  *key_token = {};
  if (object_) {
    if (*p_ != '"') return false;
    const char* k_end = skip_string(p_, end_);
    *key_token = std::string_view(p_, static_cast<std::size_t>(k_end - p_));
    p_ = k_end;
    if (p_ >= end_ || *p_ != ':') return false;
    ++p_;
  }
  *value = p_;
  *value_end = skip_value(p_, end_);
  p_ = *value_end;
  if (p_ < end_ && *p_ == ',') ++p_;
  return *value < *value_end;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_hex4(const char*& p, const char* end, uint32_t* out) {
  if (end - p < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    int d = hex_digit(p[i]);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  p += 4;
  *out = v;
  return true;
}


// p after "\u": decodes one code point, joining a surrogate pair.
bool read_unicode(const char*& p, const char* end, std::string* out) {
  uint32_t cp = 0;
  if (!read_hex4(p, end, &cp)) return false;
  if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
    const char* q = p + 2;
    uint32_t lo = 0;
    if (read_hex4(q, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      p = q;
    }
  }
  append_utf8(cp, out);
  return true;
}

}  // namespace

bool unescape(const char* p, const char* end, std::string* out) {
  if (end - p < 2) return false;
  ++p;
  --end;  // quotes
  while (p < end) {
    char c = *p++;
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (p >= end) return false;
    char e = *p++;
    switch (e) {
      case '"': case '\\': case '/': out->push_back(e); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u':
        if (!read_unicode(p, end, out)) return false;
        break;
      default: return false;
    }
  }
  return true;
}

void append_escaped(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace xr::cache::scan

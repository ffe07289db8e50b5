// Small helpers to build JSON text with RapidJSON for the route handlers. Any thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace xr::app {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void put_string(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void put_kv(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  put_string(w, value);
}
inline void put_kv(JsonWriter& w, const char* key, int64_t value) {
  w.Key(key);
  w.Int64(value);
}
inline std::string text_of(const rapidjson::StringBuffer& b) {
  return std::string(b.GetString(), b.GetSize());
}
// `s` as a JSON string literal.
inline std::string json_string(std::string_view s) {
  rapidjson::StringBuffer b;
  JsonWriter w(b);
  put_string(w, s);
  return text_of(b);
}

}  // namespace xr::app

// JsonOut: appends members to one RapidJSON object being built for an XO object, with
// helpers that convert XAPI values (maps, sets, int64 strings) to XO's JSON shapes.
// Keys must be string literals (stored by reference). Single thread, non-blocking.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "xo/record.h"

namespace xr::xo {

using Alloc = rapidjson::Document::AllocatorType;

class JsonOut {
 public:
  JsonOut(rapidjson::Value& obj, Alloc& alloc) : obj_(obj), a_(alloc) {}

  Alloc& alloc() { return a_; }
  rapidjson::Value& object() { return obj_; }

  void str(const char* key, std::string_view v);
  void num(const char* key, double v);  // integral values are written as integers
  void boolean(const char* key, bool v);
  void null(const char* key);
  void num_or_null(const char* key, std::optional<double> v);
  void value(const char* key, rapidjson::Value&& v);
  // A string member only when `v` is non-empty (XO's `undefined` otherwise).
  void str_if(const char* key, std::string_view v);

  // Copies of XAPI fields.
  void map(const char* key, const xapi::Value* v);      // string map (non-text → "")
  void strings(const char* key, const xapi::Value* v);  // string set → array

  // Builders returning detached values.
  rapidjson::Value make_str(std::string_view v);
  rapidjson::Value make_num(double v);
  rapidjson::Value make_map(const xapi::Value* v);
  rapidjson::Value make_strings(const std::vector<std::string_view>& v);

 private:
  rapidjson::Value& obj_;
  Alloc& a_;
};

// Sets (replacing if present) a member of `obj`; `key` must outlive the document.
void set_member(rapidjson::Value& obj, const char* key, rapidjson::Value&& v, Alloc& a);

}  // namespace xr::xo

// FieldList: a parsed `fields=` parameter (comma list of names and dotted paths, lodash
// `pick` semantics) that ObjectView projects objects with. Parse once per request and use it
// from one thread at a time (it caches member positions between objects). Never blocks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xr::cache {

class FieldList {
 public:
  struct Field {
    std::string name;        // as requested (names are not trimmed, like XO)
    std::string key_json;    // `"name":` ready to copy, escaped
    std::vector<std::string> path;  // name split at '.', used when no literal key matches
    uint16_t key_hash = 0;          // layout::member_key_hash(name)
    mutable uint32_t hint = 0;      // member position in the last object projected
  };

  // "a,b.c" -> fields in request order, duplicates dropped. "" -> no field (objects become
  // {}); "*" alone -> all(). Empty items ("a,,b") are ignored.
  static FieldList parse(std::string_view text);

  bool all() const { return all_; }
  // True when no field has a dot: projection is a copy of top-level pieces only.
  bool flat() const { return flat_; }
  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<Field> fields_;
  bool all_ = false;
  bool flat_ = true;
};

}  // namespace xr::cache

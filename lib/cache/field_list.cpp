#include "cache/field_list.h"

#include <unordered_set>

#include "cache/json_scan.h"
#include "cache/layout.h"

namespace xr::cache {

FieldList FieldList::parse(std::string_view text) {
  FieldList list;
  if (text == "*") {
    list.all_ = true;
    return list;
  }
  std::unordered_set<std::string_view> seen;  // views into `text`: duplicates in O(1), not O(n)
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    if (!seen.insert(item).second) continue;
    Field f;
    f.name = std::string(item);
    f.key_hash = layout::member_key_hash(item.data(), item.size());
    scan::append_escaped(item, &f.key_json);
    f.key_json.push_back(':');
    std::size_t s = 0;
    while (true) {
      std::size_t dot = item.find('.', s);
      f.path.emplace_back(item.substr(s, dot == std::string_view::npos ? dot : dot - s));
      if (dot == std::string_view::npos) break;
      s = dot + 1;
    }
    if (f.path.size() > 1) list.flat_ = false;
    list.fields_.push_back(std::move(f));
  }
  return list;
}

}  // namespace xr::cache

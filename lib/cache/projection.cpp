// Dotted-path projection (fields=CPUs.number,tags.0): lodash `pick` semantics on the cached
// text. Not the hot path (flat field lists copy top-level pieces, object_view.cpp).
#include <charconv>
#include <vector>

#include "cache/json_scan.h"
#include "cache/object_view.h"

namespace xr::cache {
namespace {

// One node of the picked result: a key, the source value at that path, and either the whole
// value or the picked children.
struct PickNode {
  std::string_view name;  // points into the FieldList
  ObjectView value;
  bool whole = false;
  std::vector<PickNode> kids;
};

bool parse_index(std::string_view s, std::size_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The value at `seg` below `parent`, lodash-style: object member or array index.
bool step(const ObjectView& parent, std::string_view seg, ObjectView* out) {
  if (parent.kind() == JsonKind::kObject) return parent.find(seg, out);
  std::size_t i = 0;
  if (parent.kind() == JsonKind::kArray && parse_index(seg, &i) && i < parent.size()) {
    *out = parent.at(i);
    return true;
  }
  return false;
}

void insert(std::vector<PickNode>* level, const std::string* segs, std::size_t depth,
            const std::vector<ObjectView>& values) {
  for (std::size_t d = 0; d < depth; ++d) {
    PickNode* node = nullptr;
    for (PickNode& n : *level) {
      if (n.name == segs[d]) node = &n;
    }
    if (node == nullptr) {
      level->push_back(PickNode{segs[d], values[d], false, {}});
      node = &level->back();
    }
    if (d + 1 == depth) node->whole = true;
    level = &node->kids;
  }
}

void emit(const PickNode& n, std::string& out);

void emit_value(const PickNode& n, std::string& out) {
  if (n.whole) {
    n.value.append_json(out);
    return;
  }
  if (n.value.kind() == JsonKind::kArray) {
    std::size_t max = 0;
    for (const PickNode& k : n.kids) {
      std::size_t i = 0;
      if (parse_index(k.name, &i)) max = std::max(max, i + 1);
    }
    out.push_back('[');
    for (std::size_t i = 0; i < max; ++i) {
      if (i > 0) out.push_back(',');
      const PickNode* hit = nullptr;
      for (const PickNode& k : n.kids) {
        std::size_t j = 0;
        if (parse_index(k.name, &j) && j == i) hit = &k;
      }
      if (hit != nullptr) emit_value(*hit, out); else out.append("null");
    }
    out.push_back(']');
    return;
  }
  out.push_back('{');
  for (std::size_t i = 0; i < n.kids.size(); ++i) {
    if (i > 0) out.push_back(',');
    emit(n.kids[i], out);
  }
  out.push_back('}');
}

void emit(const PickNode& n, std::string& out) {
  scan::append_escaped(n.name, &out);
  out.push_back(':');
  emit_value(n, out);
}

}  // namespace

bool ObjectView::append_path_members(const FieldList& fields, std::string& out) const {
  std::vector<PickNode> top;
  top.reserve(fields.fields().size());
  std::vector<ObjectView> values;
  values.reserve(8);
  for (const FieldList::Field& f : fields.fields()) {
    values.clear();
    ObjectView v;
    if (f.path.size() > 1 && find(f.name, &v)) {  // a literal key with a dot wins
      values.push_back(v);
      insert(&top, &f.name, 1, values);
      continue;
    }
    ObjectView cur = *this;
    bool found = true;
    for (const std::string& seg : f.path) {
      if (!step(cur, seg, &cur)) {
        found = false;
        break;
      }
      values.push_back(cur);
    }
    if (found) insert(&top, f.path.data(), f.path.size(), values);
  }
  for (std::size_t i = 0; i < top.size(); ++i) {
    if (i > 0) out.push_back(',');
    emit(top[i], out);
  }
  return !top.empty();
}

}  // namespace xr::cache

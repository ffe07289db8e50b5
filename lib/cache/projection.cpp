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
  std::string name;
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
bool step(const ObjectView& parent, const std::string& seg, ObjectView* out) {
  if (parent.kind() == JsonKind::kObject) return parent.find(seg, out);
  std::size_t i = 0;
  if (parent.kind() == JsonKind::kArray && parse_index(seg, &i) && i < parent.size()) {
    *out = parent.at(i);
    return true;
  }
  return false;
}

void insert(std::vector<PickNode>* level, const std::vector<std::string>& segs,
            const std::vector<ObjectView>& values) {
  for (std::size_t d = 0; d < segs.size(); ++d) {
    PickNode* node = nullptr;
    for (PickNode& n : *level) {
      if (n.name == segs[d]) node = &n;
    }
    if (node == nullptr) {
      level->push_back(PickNode{segs[d], values[d], false, {}});
      node = &level->back();
    }
    if (d + 1 == segs.size()) node->whole = true;
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
  std::vector<ObjectView> values;
  for (const FieldList::Field& f : fields.fields()) {
    values.clear();
    ObjectView v;
    if (f.path.size() > 1 && find(f.name, &v)) {  // a literal key with a dot wins
      values.push_back(v);
      insert(&top, {f.name}, values);
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
    if (found) insert(&top, f.path, values);
  }
  for (std::size_t i = 0; i < top.size(); ++i) {
    if (i > 0) out.push_back(',');
    emit(top[i], out);
  }
  return !top.empty();
}

}  // namespace xr::cache

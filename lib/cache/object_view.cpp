#include "cache/object_view.h"

#include <charconv>
#include <cstring>

#include "cache/json_scan.h"
#include "cache/record.h"

namespace xr::cache {
namespace L = layout;

ObjectView::ObjectView(const RecordRef& record)
    : rec_(&record), begin_(record.json()), end_(record.json() + record.json_len), root_(true) {}

const char* ObjectView::json_begin() const { return rec_->json(); }
const char* ObjectView::json_end() const { return rec_->json() + rec_->json_len; }

JsonKind ObjectView::kind() const {
  if (begin_ >= end_) return JsonKind::kNull;
  switch (*begin_) {
    case '{': return JsonKind::kObject;
    case '[': return JsonKind::kArray;
    case '"': return JsonKind::kString;
    case 't': return JsonKind::kTrue;
    case 'f': return JsonKind::kFalse;
    case 'n': return JsonKind::kNull;
    default: return JsonKind::kNumber;
  }
}

double ObjectView::number() const {
  double v = 0;
  std::from_chars(begin_, end_, v);
  return v;
}

std::string_view ObjectView::token_text(const char* quote, const char* end) const {
  if (end - quote < 2) return {};
  std::string_view raw(quote + 1, static_cast<std::size_t>(end - quote - 2));
  if (rec_->escape_count == 0 || std::memchr(raw.data(), '\\', raw.size()) == nullptr) return raw;
  // Binary search of the escape table (sorted by text_off) for this token's unescaped copy.
  auto off = static_cast<uint32_t>(quote - json_begin());
  const L::EscapeEntry* e = rec_->escapes();
  std::size_t lo = 0, hi = rec_->escape_count;
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    if (shared_load(e[mid].text_off) < off) lo = mid + 1; else hi = mid;
  }
  if (lo == rec_->escape_count || shared_load(e[lo].text_off) != off) return raw;
  uint32_t copy_off = shared_load(e[lo].copy_off);
  uint32_t copy_len = shared_load(e[lo].copy_len);
  if (uint64_t{copy_off} + copy_len > rec_->bytes) return {};
  return {rec_->base + copy_off, copy_len};
}

std::string_view ObjectView::string() const {
  if (kind() != JsonKind::kString) return {};
  return token_text(begin_, end_);
}

bool ObjectView::member(std::size_t i, const char** piece, const char** value, const char** end) const {
  if (i >= rec_->member_count) return false;
  const L::MemberEntry* m = rec_->members() + i;
  uint64_t piece_off = shared_load(m->piece_off);
  uint16_t key_len = shared_load(m->key_len);
  uint64_t value_end = i + 1 < rec_->member_count ? uint64_t{shared_load(m[1].piece_off)} : rec_->json_len;
  if (value_end == 0 || value_end - 1 > rec_->json_len || piece_off >= value_end) return false;
  const char* j = json_begin();
  const char* p = j + piece_off;
  const char* e = j + value_end - 1;
  const char* v = key_len == L::kLongKey ? scan::skip_string(p, e) + 1 : p + key_len + 3;
  if (v > e) return false;
  *piece = p;
  *value = v;
  *end = e;
  return true;
}

std::size_t ObjectView::size() const {
  if (root_) return rec_->member_count;
  JsonKind k = kind();
  if (k != JsonKind::kArray && k != JsonKind::kObject) return 0;
  scan::ContainerCursor c(begin_, end_);
  std::string_view key;
  const char *v, *ve;
  std::size_t n = 0;
  while (c.next(&key, &v, &ve)) ++n;
  return n;
}

ObjectView ObjectView::at(std::size_t i) const {
  if (kind() != JsonKind::kArray) return ObjectView(rec_, end_, end_);
  scan::ContainerCursor c(begin_, end_);
  std::string_view key;
  const char *v, *ve;
  for (std::size_t n = 0; c.next(&key, &v, &ve); ++n) {
    if (n == i) return ObjectView(rec_, v, ve);
  }
  return ObjectView(rec_, end_, end_);
}

std::string_view ObjectView::key(std::size_t i) const {
  const char *p, *v, *ve;
  if (root_) return member(i, &p, &v, &ve) ? token_text(p, v - 1) : std::string_view();
  if (kind() != JsonKind::kObject) return {};
  scan::ContainerCursor c(begin_, end_);
  std::string_view k;
  for (std::size_t n = 0; c.next(&k, &v, &ve); ++n) {
    if (n == i) return token_text(k.data(), k.data() + k.size());
  }
  return {};
}

ObjectView ObjectView::value(std::size_t i) const {
  const char *p, *v, *ve;
  if (root_) return member(i, &p, &v, &ve) ? ObjectView(rec_, v, ve) : ObjectView(rec_, end_, end_);
  if (kind() != JsonKind::kObject) return ObjectView(rec_, end_, end_);
  scan::ContainerCursor c(begin_, end_);
  std::string_view k;
  for (std::size_t n = 0; c.next(&k, &v, &ve); ++n) {
    if (n == i) return ObjectView(rec_, v, ve);
  }
  return ObjectView(rec_, end_, end_);
}

int ObjectView::member_index(std::string_view name, uint16_t hash, uint32_t* hint) const {
  const L::MemberEntry* m = rec_->members();
  uint32_t n = rec_->member_count;
  const char *p, *v, *ve;
  // The hinted position first: objects of one collection mostly share their key order.
  uint32_t start = *hint < n ? *hint : 0;
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t i = start + k < n ? start + k : start + k - n;
    if (shared_load(m[i].key_hash) != hash || !member(i, &p, &v, &ve)) continue;
    std::string_view raw(p + 1, static_cast<std::size_t>(v - p - 3));
    bool escaped = shared_load(m[i].key_len) == L::kLongKey;  // (or very long)
    if (escaped ? token_text(p, v - 1) == name : raw == name) {
      *hint = i;
      return static_cast<int>(i);
    }
  }
  return -1;
}

int ObjectView::member_index(std::string_view name) const {
  uint32_t hint = 0;
  return member_index(name, L::member_key_hash(name.data(), name.size()), &hint);
}

bool ObjectView::find(std::string_view name, ObjectView* out) const {
  if (root_) {
    int i = member_index(name);
    if (i < 0) return false;
    *out = value(static_cast<std::size_t>(i));
    return true;
  }
  if (kind() != JsonKind::kObject) return false;
  scan::ContainerCursor c(begin_, end_);
  std::string_view k;
  const char *v, *ve;
  while (c.next(&k, &v, &ve)) {
    if (token_text(k.data(), k.data() + k.size()) == name) {
      *out = ObjectView(rec_, v, ve);
      return true;
    }
  }
  return false;
}

std::string_view ObjectView::id() const { return rec_ == nullptr ? std::string_view() : rec_->id(); }

std::string_view ObjectView::member_piece(std::string_view name) const {
  uint32_t hint = 0;
  return member_piece(name, L::member_key_hash(name.data(), name.size()), &hint);
}

std::string_view ObjectView::member_piece(std::string_view name, uint16_t hash, uint32_t* hint) const {
  int i = root_ ? member_index(name, hash, hint) : -1;
  const char *p, *v, *ve;
  if (i < 0 || !member(static_cast<std::size_t>(i), &p, &v, &ve)) return {};
  return {p, static_cast<std::size_t>(ve - p)};
}

void ObjectView::append_fields(const FieldList& fields, std::string& out) const {
  if (fields.all()) {
    append_json(out);
    return;
  }
  out.push_back('{');
  append_members(fields, out);
  out.push_back('}');
}

bool ObjectView::append_members(const FieldList& fields, std::string& out) const {
  if (!root_) return false;
  if (fields.all()) {
    if (end_ - begin_ <= 2) return false;
    out.append(begin_ + 1, static_cast<std::size_t>(end_ - begin_ - 2));
    return true;
  }
  if (!fields.flat()) return append_path_members(fields, out);
  bool any = false;
  for (const FieldList::Field& f : fields.fields()) {
    std::string_view piece = member_piece(f.name, f.key_hash, &f.hint);
    if (piece.empty()) continue;
    if (any) out.push_back(',');
    out.append(piece);
    any = true;
  }
  return any;
}

}  // namespace xr::cache

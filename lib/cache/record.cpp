#include "cache/record.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <vector>

#include "cache/json_scan.h"

namespace xr::cache {
namespace L = layout;

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Serialises the object compactly, noting the span of each top-level member.
bool write_members(const rapidjson::Value& object, rapidjson::StringBuffer* buf,
                   std::vector<L::MemberEntry>* members) {
  JsonWriter w(*buf);
  buf->Put('{');
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (it != object.MemberBegin()) buf->Put(',');
    L::MemberEntry m{};
    m.piece_off = static_cast<uint32_t>(buf->GetSize());
    w.Reset(*buf);
    if (!it->name.Accept(w)) return false;
    std::size_t key_len = buf->GetSize() - m.piece_off - 2;
    bool escaped = key_len != it->name.GetStringLength();
    m.key_len = key_len >= L::kLongKey || escaped ? L::kLongKey : static_cast<uint16_t>(key_len);
    m.key_hash = L::member_key_hash(it->name.GetString(), it->name.GetStringLength());
    buf->Put(':');
    w.Reset(*buf);
    if (!it->value.Accept(w)) return false;
    members->push_back(m);
  }
  buf->Put('}');
  return true;
}

// Finds every string token with an escape and keeps its unescaped bytes.
void collect_escapes(std::string_view json, std::vector<L::EscapeEntry>* escapes,
                     std::string* copies) {
  const char* begin = json.data();
  const char* end = begin + json.size();
  for (const char* p = begin; p < end;) {
    if (*p != '"') {
      ++p;
      continue;
    }
    const char* q = scan::skip_string(p, end);
    if (std::memchr(p, '\\', static_cast<std::size_t>(q - p)) != nullptr) {
      std::string text;
      scan::unescape(p, q, &text);
      escapes->push_back({static_cast<uint32_t>(p - begin), static_cast<uint32_t>(copies->size()),
                          static_cast<uint32_t>(text.size())});
      copies->append(text);
    }
    p = q;
  }
}

// Offset in the JSON text of the "id" member's string value when it equals id verbatim
// (no escapes), else npos.
std::size_t id_text_offset(std::string_view json, const std::vector<L::MemberEntry>& members,
                           std::string_view id) {
  for (std::size_t i = 0; i < members.size(); ++i) {
    std::size_t p = members[i].piece_off;
    if (json.substr(p, 6) != "\"id\":\"") continue;
    std::size_t v = p + 6;
    if (json.substr(v, id.size()) == id && json.size() > v + id.size() && json[v + id.size()] == '"') return v;
    return std::string_view::npos;
  }
  return std::string_view::npos;
}

template <typename T>
void append_raw(std::string* out, const std::vector<T>& v) {
  out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace

Status encode_record(uint16_t collection, std::string_view id, const rapidjson::Value& object,
                     std::string* out) {
  if (!object.IsObject()) return Status(ErrorKind::kInvalidArgument, "cache: object expected");
  if (id.empty() || id.size() > L::kMaxIdBytes) {
    return Status(ErrorKind::kInvalidArgument, "cache: object id empty or too long");
  }
  rapidjson::StringBuffer buf;
  buf.Reserve(1024);
  std::vector<L::MemberEntry> members;
  members.reserve(object.MemberCount());
  if (!write_members(object, &buf, &members)) {
    return Status(ErrorKind::kInvalidArgument, "cache: object not serialisable (NaN?)");
  }
  std::string_view json(buf.GetString(), buf.GetSize());
  std::vector<L::EscapeEntry> escapes;
  std::string copies;
  collect_escapes(json, &escapes, &copies);

  // The id is not stored twice when the object's own "id" member holds it verbatim.
  std::size_t id_in_json = id_text_offset(json, members, id);
  bool shared_id = id_in_json != std::string_view::npos;
  L::RecordHeader h{};
  h.collection = collection;
  h.id_len = static_cast<uint16_t>(id.size());
  h.member_count = static_cast<uint32_t>(members.size());
  h.members_off = static_cast<uint32_t>((sizeof(h) + (shared_id ? 0 : id.size()) + 3) & ~std::size_t{3});
  h.escapes_off = h.members_off + h.member_count * sizeof(L::MemberEntry);
  h.escape_count = static_cast<uint32_t>(escapes.size());
  uint64_t json_off = h.escapes_off + uint64_t{h.escape_count} * sizeof(L::EscapeEntry);
  uint64_t copies_off = json_off + json.size();
  uint64_t bytes = L::align8(copies_off + copies.size());
  if (bytes > 0xFFFFFFF0ULL) return Status(ErrorKind::kInvalidArgument, "cache: object too large");
  h.json_off = static_cast<uint32_t>(json_off);
  h.id_off = static_cast<uint32_t>(shared_id ? json_off + id_in_json : sizeof(h));
  h.json_len = static_cast<uint32_t>(json.size());
  h.bytes = static_cast<uint32_t>(bytes);
  for (auto& e : escapes) e.copy_off += static_cast<uint32_t>(copies_off);

  out->clear();
  out->reserve(bytes);
  out->append(reinterpret_cast<const char*>(&h), sizeof(h));
  if (!shared_id) out->append(id);
  out->resize(h.members_off, '\0');
  append_raw(out, members);
  append_raw(out, escapes);
  out->append(json);
  out->append(copies);
  out->resize(bytes, '\0');
  return Status::ok();
}

RecordRef checked_record(const char* half, uint64_t capacity, uint64_t offset) {
  if (offset < sizeof(L::HalfHeader) || offset % 8 != 0 || offset + sizeof(L::RecordHeader) > capacity) {
    return {};
  }
  const auto* h = reinterpret_cast<const L::RecordHeader*>(half + offset);
  RecordRef r;
  r.bytes = shared_load(h->bytes);
  r.collection = shared_load(h->collection);
  r.id_len = shared_load(h->id_len);
  r.order = shared_load(h->order);
  r.slot = shared_load(h->slot);
  r.member_count = shared_load(h->member_count);
  r.members_off = shared_load(h->members_off);
  r.escapes_off = shared_load(h->escapes_off);
  r.escape_count = shared_load(h->escape_count);
  r.json_off = shared_load(h->json_off);
  r.json_len = shared_load(h->json_len);
  r.id_off = shared_load(h->id_off);
  uint64_t bytes = r.bytes;
  bool ok = bytes <= capacity - offset && sizeof(L::RecordHeader) <= r.members_off &&
            r.id_off >= sizeof(L::RecordHeader) && uint64_t{r.id_off} + r.id_len <= bytes &&
            r.members_off + uint64_t{r.member_count} * sizeof(L::MemberEntry) <= r.escapes_off &&
            r.escapes_off + uint64_t{r.escape_count} * sizeof(L::EscapeEntry) <= r.json_off &&
            uint64_t{r.json_off} + r.json_len <= bytes && r.members_off % 4 == 0 &&
            r.escapes_off % 4 == 0 && r.json_len >= 2;
  if (!ok) return {};
  r.base = half + offset;
  return r;
}

}  // namespace xr::cache

#include "auth/token_scope.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace xr::auth {

namespace {

constexpr size_t kMaxItems = 256;
constexpr size_t kMaxNameBytes = 64;

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// An empty list allows everything; otherwise `inner` must be non-empty and within it.
bool list_covers(const std::vector<std::string>& outer, const std::vector<std::string>& inner) {
  if (outer.empty()) return true;
  if (inner.empty()) return false;
  return std::all_of(inner.begin(), inner.end(), [&](const std::string& i) { return contains(outer, i); });
}

// Pool uuids, collection names ("vm-snapshots") and actions ("vms/clean_reboot"): letters,
// digits, '-', '_' and, for actions only, one '/'.
bool valid_name(std::string_view s, bool action) {
  if (s.empty() || s.size() > kMaxNameBytes) return false;
  const size_t slash = s.find('/');
  if (slash != std::string_view::npos && (!action || slash == 0 || slash + 1 == s.size() ||
                                          s.find('/', slash + 1) != std::string_view::npos)) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '/';
  });
}

// Pools are named by their uuid, whole: the list filter matches it as a substring (XO's
// complex-matcher), which for 36 characters is equality.
bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

Status bad(std::string_view key, std::string_view why) {
  return Status(ErrorKind::kInvalidArgument, "scope." + std::string(key) + " " + std::string(why));
}

Status check_list(const std::vector<std::string>& items, std::string_view key) {
  if (items.empty()) return bad(key, "must name at least one (leave it out for all)");
  if (items.size() > kMaxItems) return bad(key, "names more than " + std::to_string(kMaxItems));
  for (const auto& i : items) {
    const bool ok = key == "pools" ? is_uuid(i) : valid_name(i, key == "actions");
    if (!ok) return bad(key, "has an invalid name \"" + i + "\"" + (key == "pools" ? " (a pool's uuid)" : ""));
  }
  return Status::ok();
}

Result<std::vector<std::string>> list_from_json(const rapidjson::Value& v, std::string_view key) {
  if (!v.IsArray()) return bad(key, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : v.GetArray()) {
    if (!item.IsString()) return bad(key, "must be an array of strings");
    const std::string s(item.GetString(), item.GetStringLength());
    if (!contains(out, s)) out.push_back(s);
  }
  XR_RETURN_IF_ERROR(check_list(out, key));
  return out;
}

void write_list(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key,
                const std::vector<std::string>& items) {
  if (items.empty()) return;
  w.Key(key);
  w.StartArray();
  for (const auto& i : items) w.String(i.c_str(), static_cast<rapidjson::SizeType>(i.size()));
  w.EndArray();
}

}  // namespace

bool TokenScope::allows_pool(std::string_view pool_id) const { return pools.empty() || contains(pools, pool_id); }

bool TokenScope::allows_collection(std::string_view collection) const {
  return collections.empty() || contains(collections, collection);
}

bool TokenScope::allows_action(std::string_view collection, std::string_view action) const {
  return actions.empty() || contains(actions, action) ||
         contains(actions, std::string(collection) + "/" + std::string(action));
}

bool TokenScope::covers(const TokenScope& inner) const {
  if (read_only && !inner.read_only) return false;
  if (!list_covers(pools, inner.pools) || !list_covers(collections, inner.collections)) return false;
  // With our actions listed, the inner token may make no change but some of those actions.
  if (actions.empty() || inner.read_only) return true;
  if (inner.actions.empty()) return false;
  return std::all_of(inner.actions.begin(), inner.actions.end(), [&](const std::string& a) {
    const size_t slash = a.find('/');
    return slash == std::string::npos ? contains(actions, a)
                                      : allows_action(a.substr(0, slash), a.substr(slash + 1));
  });
}

std::string scope_to_json(const TokenScope& scope) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("readOnly");
  w.Bool(scope.read_only);
  write_list(w, "pools", scope.pools);
  write_list(w, "collections", scope.collections);
  write_list(w, "actions", scope.actions);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

Result<TokenScope> scope_from_json(const rapidjson::Value& value) {
  if (!value.IsObject()) return Status(ErrorKind::kInvalidArgument, "scope must be an object");
  TokenScope s;
  for (const auto& m : value.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "readOnly" || key == "read_only") {
      if (!m.value.IsBool()) return bad(key, "must be true or false");
      s.read_only = m.value.GetBool();
    } else if (key == "pools") {
      XR_ASSIGN_OR_RETURN(s.pools, list_from_json(m.value, key));
    } else if (key == "collections") {
      XR_ASSIGN_OR_RETURN(s.collections, list_from_json(m.value, key));
    } else if (key == "actions") {
      XR_ASSIGN_OR_RETURN(s.actions, list_from_json(m.value, key));
    } else {
      return Status(ErrorKind::kInvalidArgument,
                    "scope has an unknown key \"" + std::string(key) +
                        "\" (known: readOnly, pools, collections, actions)");
    }
  }
  return s;
}

Result<TokenScope> scope_from_text(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError()) return Status(ErrorKind::kInternal, "a stored token scope is not JSON");
  auto s = scope_from_json(d);
  if (!s.is_ok()) return Status(ErrorKind::kInternal, "a stored token scope is invalid: " + s.status().message());
  return s;
}

Result<std::vector<std::string>> split_scope_list(std::string_view text, std::string_view key) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = text.find(',');
    const std::string item(text.substr(0, comma));
    if (!contains(out, item)) out.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (out.size() == 1 && out[0].empty()) out.clear();
  XR_RETURN_IF_ERROR(check_list(out, key));
  return out;
}

}  // namespace xr::auth

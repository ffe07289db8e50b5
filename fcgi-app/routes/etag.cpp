#include "routes/etag.h"

#include <cinttypes>
#include <cstdio>

namespace xr::app {

namespace {

uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;  // cheap, and enough to notice a change
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view opaque(std::string_view tag) {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}

}  // namespace

std::string body_etag(std::string_view body) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016" PRIx64 "\"", fnv1a(body));
  return buf;
}

std::string list_etag(const cache::Reader& reader, std::string_view request_uri, std::string_view narrowing) {
  std::string key(request_uri);
  if (!narrowing.empty()) key.append("\n").append(narrowing);  // '\n' never appears in a URI
  char buf[64];
  std::snprintf(buf, sizeof buf, "W/\"%08" PRIx32 "-%" PRIx64 "-%016" PRIx64 "\"", reader.instance(),
                reader.last_change_seq(), fnv1a(key));
  return buf;
}

bool if_none_match(const Request& req, std::string_view etag) {
  std::string_view header = req.param("HTTP_IF_NONE_MATCH");
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view tag = trim(header.substr(0, comma));
    if (tag == "*" || (!tag.empty() && opaque(tag) == opaque(etag))) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

void send_json_with_etag(Context& ctx, std::string_view body) {
  const std::string etag = body_etag(body);
  ctx.res.add_header("ETag", etag);
  if (if_none_match(ctx.req, etag)) {
    ctx.res.send(304, "", "");
    return;
  }
  ctx.res.send(200, "application/json; charset=utf-8", body);
}

}  // namespace xr::app

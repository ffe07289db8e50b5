// Validators of GET answers: every JSON answer carries an ETag and If-None-Match gets a 304
// (XO does the same through Express). Worker request thread.
//   - cache lists: a weak ETag derived from the cache's version (segment instance + last change
//     sequence, read before the scan) and the request URI, so a list is never rendered to be
//     validated; any change anywhere in the cache makes a new one (safe: a stale list is never
//     confirmed, an unchanged one may be sent again);
//   - small answers built in memory (one object, users, servers, dashboard): a strong ETag, the
//     FNV-1a hash of the body.
#pragma once

#include <string>
#include <string_view>

#include "cache/reader.h"
#include "routes/context.h"

namespace xr::app {

// "\"<16 hex digits>\"": FNV-1a of the body.
std::string body_etag(std::string_view body);
// W/"<instance>-<change seq>-<hash of request_uri and narrowing>". `narrowing`: what the
// caller's credentials narrow the list to (a pool-scoped token's pools, "" for none), so a
// narrowed list never shares the ETag of the same URI's unscoped or differently narrowed list.
std::string list_etag(const cache::Reader& reader, std::string_view request_uri, std::string_view narrowing);
// RFC 9110 If-None-Match: "*" or any listed tag equal to `etag` (weak comparison).
bool if_none_match(const Request& req, std::string_view etag);
// Sends `body` (application/json) with its body ETag, or a 304 when the client has it.
void send_json_with_etag(Context& ctx, std::string_view body);

}  // namespace xr::app

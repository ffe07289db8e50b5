// The output conventions of XO collections (reference §b.1-b.3): query parameters
// fields / ndjson / markdown / filter / limit, and a writer that streams a JSON array,
// NDJSON or XO's markdown table to the response element by element. Worker request thread.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "filter/filter.h"
#include "routes/markdown_table.h"
#include "worker/request.h"
#include "worker/response.h"

namespace xr::app {

struct ListOptions {
  bool has_fields = false;          // `fields` given: objects instead of hrefs
  bool all_fields = false;          // fields=*
  std::vector<std::string> fields;  // names or dotted paths, untrimmed (lodash pick)
  std::optional<size_t> limit;      // nullopt = no limit
  bool ndjson = false;
  bool markdown = false;            // markdown=true: text/markdown table (XO's makeMarkdownTable)
  std::optional<std::string> filter;
};

// Validates the list parameters as XO's tsoa does: a repeated key, a `limit` that is not a
// float (validator.js isFloat: "0x10", "Infinity", " 5" fail), a `markdown` other than
// true/false (any case) are XO's 422 field map; ndjson with markdown=true is XO's 422 "Cannot
// use both ...". A limit counts only when it is a non-negative integer below 2^53 (XO counts
// down to exactly 0: negative, fractional and huge limits return everything).
// On error `*error_data` may receive a JSON object.
Result<ListOptions> parse_list_options(const Request& req, std::string* error_data);

// Compiles options.filter (nullopt when absent or matching everything); a syntax error is
// XO's 400 with `*error_data` = {"stringToParse": ...}.
// XO's "data" of a filter error: {"stringToParse":"<raw filter>"}.
std::string string_to_parse_data(std::string_view raw);
Result<std::optional<filter::Filter>> compile_list_filter(const ListOptions& options,
                                                          std::string* error_data);
// True when `object` passes the (optional) filter.
bool passes(const std::optional<filter::Filter>& filter, const rapidjson::Value& object);

class ListWriter {
 public:
  // With `etag_request`, the (small) list is kept in memory and sent at finish() with its body
  // ETag, or as a 304 when the request's If-None-Match has it (lists not read from the cache).
  ListWriter(Response& res, const ListOptions& options, const Request* etag_request = nullptr);
  // One element: an href string (no fields) or a complete JSON object text.
  bool add_href(std::string_view href);
  bool add_json(std::string_view object_json);
  // A small in-memory object (users, servers): skipped unless it passes `filter`, then
  // written as its href (no fields) or projected with "href".
  void add_object(const rapidjson::Value& object, std::string_view href,
                  const std::optional<filter::Filter>& filter);
  // Closes the array; false when the client went away.
  bool finish();
  size_t count() const { return count_; }
  // True when `limit` elements were written: the caller stops scanning.
  bool full() const { return options_.limit && count_ >= *options_.limit; }

 private:
  bool element(std::string_view text);
  bool write(std::string_view text);
  Response& res_;
  const ListOptions& options_;
  const Request* etag_request_;
  std::string body_;  // the whole body when etag_request_ is set
  size_t count_ = 0;
  bool started_ = false;
  MarkdownTable markdown_;
};

// The Content-Type of a list in these options' format.
std::string_view list_content_type(const ListOptions& options);

// Writes `object` projected to the requested fields (all with fields=*), plus "href",
// as compact JSON text (lodash pick semantics for names and dotted paths).
std::string project_object(const rapidjson::Value& object, const ListOptions& options,
                           std::string_view href);

}  // namespace xr::app

// Streams cached objects to the client in XO's collection formats (JSON array of hrefs or
// projected objects, or NDJSON), applying filter, fields and limit while scanning the
// cache; output goes out in 64 KiB pieces, never as a whole body. Worker request thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cache/field_list.h"
#include "cache/reader.h"
#include "filter/filter.h"
#include "routes/context.h"
#include "routes/list_output.h"
#include "routes/markdown_table.h"
#include "worker/cache_access.h"

namespace xr::app {

// The parsed list request: options, compiled filter, projection.
struct ListQuery {
  ListOptions options;
  std::optional<filter::Filter> filter;
  cache::FieldList fields;
};

// Parses fields/limit/ndjson/filter; a bad filter is XO's 400 with {"stringToParse"}.
Result<ListQuery> parse_list_query(Context& ctx);

// Appends one collection element for `view` (href string or projected object with href).
void append_element(const ListQuery& q, const cache::ObjectView& view, std::string_view href_base,
                    std::string& out);

// Streams the objects of `collection` that pass the filter and `extra(view)`; hrefs are
// `<href_base><id>`.
template <typename Extra>
Status stream_collection(Context& ctx, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, Extra&& extra);

// Feeds NDJSON `lines` (compact elements, each followed by "\n") to `table`, appending its
// markdown to `out`.
void markdown_from_lines(std::string_view lines, MarkdownTable& table, std::string& out);

// 503 while a configured pool is still on its first connection attempt.
Status check_pools_ready(const Context& ctx);

// --- implementation ---

template <typename Extra>
Status stream_collection(Context& ctx, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, Extra&& extra) {
  const cache::Reader& reader = ctx.svc.cache->reader();
  const bool markdown = q.options.markdown;
  // Markdown is made from NDJSON lines after each scan step (a replayed call of emit must only
  // append to its buffer, so the table's state cannot live in emit).
  const bool lines = q.options.ndjson || markdown;
  ListWriter writer(ctx.res, q.options);  // sets the content type
  MarkdownTable table;
  cache::ScanCursor cursor;
  if (q.options.limit) cursor.limit = *q.options.limit;
  // Flat projections copy a few hinted pieces per object: let the scan prefetch them.
  if (q.options.has_fields && !q.fields.all() && q.fields.flat()) cursor.prefetch = &q.fields;
  std::string out = lines ? "" : "[\n";
  out.reserve(80 * 1024);
  std::string md;
  auto emit = [&](const cache::ObjectView& view, std::string& buf) {
    if (q.filter && !q.filter->matches(view)) return false;
    if (!extra(view)) return false;
    if (!lines && cursor.emitted > 0) buf.append(",\n");
    append_element(q, view, href_base, buf);
    if (lines) buf.push_back('\n');
    return true;
  };
  constexpr size_t kChunk = 64 * 1024;
  while (!cursor.done) {
    Status s = reader.scan(collection, cursor, out, kChunk, emit);
    if (!s.is_ok()) return s;
    if (markdown) {
      md.clear();
      markdown_from_lines(out, table, md);
      out.swap(md);
    }
    if (!out.empty() && !ctx.res.write(out)) return Status::ok();  // client gone
    out.clear();
  }
  if (markdown) table.finish(out);
  if (!lines) out.append(cursor.emitted > 0 ? "\n]\n" : "]\n");
  if (!out.empty()) ctx.res.write(out);
  return Status::ok();
}

}  // namespace xr::app

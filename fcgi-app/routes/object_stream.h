// Streams cached objects to the client in XO's collection formats (JSON array of hrefs or
// projected objects, or NDJSON), applying filter, fields and limit while scanning the
// cache; output goes out in 64 KiB pieces, never as a whole body. Worker request thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cache/field_list.h"
#include "cache/reader.h"
#include "filter/filter.h"
#include "routes/context.h"
#include "routes/filter_budget.h"
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

// Parses fields/limit/ndjson/filter; a bad filter is XO's 400 with {"stringToParse"}. A token
// limited to some pools gets their objects only (routes/scope_check.h).
Result<ListQuery> parse_list_query(Context& ctx);

// Appends one collection element for `view` (href string or projected object with href).
void append_element(const ListQuery& q, const cache::ObjectView& view, std::string_view href_base,
                    std::string& out);

// Writes the list of the objects of `collection` that pass the filter and `extra(view)` to
// `sink(std::string_view) -> bool` (false: stop, nothing more is wanted); hrefs are
// `<href_base><id>`. The filter runs within `budget`: past it, the error naming the bound
// (kCancelled: the client is gone); the output is then incomplete.
template <typename Extra, typename Sink>
Status render_collection(const cache::Reader& reader, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, FilterBudget& budget, Extra&& extra, Sink&& sink);

// Streams that list to the client (content type set here) within the request's FilterBudget
// (a client gone meanwhile gets nothing more).
template <typename Extra>
Status stream_collection(Context& ctx, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, Extra&& extra);

// Feeds NDJSON `lines` (compact elements, each followed by "\n") to `table`, appending its
// markdown to `out`.
void markdown_from_lines(std::string_view lines, MarkdownTable& table, std::string& out);

// A filter past its match budget (kInvalidArgument from a render) is answered in XO's
// filter-error shape: sets ctx.error_data to {"stringToParse": <the filter>}.
void note_filter_error(Context& ctx, const ListQuery& q, const Status& s);

// 503 while a configured pool is still on its first connection attempt.
Status check_pools_ready(const Context& ctx);

// Reads served while a pool's event stream is not healthy (issue 17) carry
// "X-Data-Age: <seconds>", how long ago its objects were last known current: of the pool
// `pool_id`, or of the stalest pool when empty (a list).
void add_data_age(Context& ctx, std::string_view pool_id = {});

// --- implementation ---

template <typename Extra, typename Sink>
Status render_collection(const cache::Reader& reader, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, FilterBudget& budget, Extra&& extra, Sink&& sink) {
  const bool markdown = q.options.markdown;
  // Markdown is made from NDJSON lines after each scan step (a replayed call of emit must only
  // append to its buffer, so the table's state cannot live in emit).
  const bool lines = q.options.ndjson || markdown;
  MarkdownTable table;
  cache::ScanCursor cursor;
  if (q.options.limit) cursor.limit = *q.options.limit;
  // Flat projections copy a few hinted pieces per object: let the scan prefetch them.
  if (q.options.has_fields && !q.fields.all() && q.fields.flat()) cursor.prefetch = &q.fields;
  std::string out = lines ? "" : "[\n";
  out.reserve(80 * 1024);
  std::string md;
  std::optional<filter::Filter::Matcher<cache::ObjectView>> matcher;
  if (q.filter) matcher.emplace(*q.filter, budget.match());
  Status stopped;
  auto emit = [&](const cache::ObjectView& view, std::string& buf) {
    if (matcher) {
      const bool pass = (*matcher)(view);
      stopped = budget.check();
      if (!stopped.is_ok()) {
        cursor.done = true;
        return false;
      }
      if (!pass) return false;
    }
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
    if (!stopped.is_ok()) return stopped;
    if (markdown) {
      md.clear();
      markdown_from_lines(out, table, md);
      out.swap(md);
    }
    if (!out.empty() && !sink(std::string_view(out))) return Status::ok();  // nothing more wanted
    out.clear();
  }
  if (markdown) table.finish(out);
  if (!lines) out.append(cursor.emitted > 0 ? "\n]\n" : "]\n");
  if (!out.empty()) sink(std::string_view(out));
  return Status::ok();
}

template <typename Extra>
Status stream_collection(Context& ctx, const ListQuery& q, std::string_view collection,
                         std::string_view href_base, Extra&& extra) {
  ctx.res.set_content_type(list_content_type(q.options));
  FilterBudget budget(ctx);
  const Status s = render_collection(ctx.svc.cache->reader(), q, collection, href_base, budget,
                                     std::forward<Extra>(extra),
                                     [&](std::string_view piece) { return ctx.res.write(piece); });
  // Past the budget after the headers: the request is aborted; a client gone: nobody to answer.
  note_filter_error(ctx, q, s);
  return s.kind() == ErrorKind::kCancelled ? Status::ok() : s;
}

}  // namespace xr::app

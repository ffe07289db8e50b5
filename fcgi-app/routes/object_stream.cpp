#include "routes/object_stream.h"

#include <algorithm>
#include <chrono>

#include "routes/json_text.h"
#include "routes/scope_check.h"
#include "worker/cache_access.h"

namespace xr::app {

Result<ListQuery> parse_list_query(Context& ctx) {
  ListQuery q;
  XR_ASSIGN_OR_RETURN(q.options, parse_list_options(ctx.req, &ctx.error_data));
  XR_ASSIGN_OR_RETURN(q.filter, compile_list_filter(q.options, &ctx.error_data));
  XR_RETURN_IF_ERROR(narrow_to_scope_pools(ctx, &q));
  if (q.options.has_fields) q.fields = cache::FieldList::parse(*ctx.req.query_value("fields"));
  return q;
}

void append_element(const ListQuery& q, const cache::ObjectView& view, std::string_view href_base,
                    std::string& out) {
  if (!q.options.has_fields) {
    out.push_back('"');
    out.append(href_base).append(view.id());
    out.push_back('"');
    return;
  }
  out.push_back('{');
  if (view.append_members(q.fields, out)) out.push_back(',');
  out.append("\"href\":\"").append(href_base).append(view.id()).append("\"}");
}

void markdown_from_lines(std::string_view lines, MarkdownTable& table, std::string& out) {
  while (!lines.empty()) {
    const size_t nl = lines.find('\n');
    table.add(lines.substr(0, nl), out);
    if (nl == std::string_view::npos) break;
    lines.remove_prefix(nl + 1);
  }
}

Status check_pools_ready(const Context& ctx) {
  const auto statuses = ctx.svc.cache->reader().pool_statuses();
  for (const auto& pool : ctx.svc.config.pools) {
    // Servers added over REST are not waited for (their objects appear once synchronised),
    // nor disconnected ones (no poller thread).
    if (!pool.enabled || pool.from_store) continue;
    bool synced = false, connecting = true;
    for (const auto& st : statuses) {
      if (st.key != pool.name) continue;
      synced = st.ever_synced;
      connecting = st.state == cache::layout::PoolState::kConnecting;
    }
    if (!synced && connecting) {
      return Status(ErrorKind::kTransport,
                    "pool " + pool.name + " has not been synchronised yet; retry in a moment");
    }
  }
  return Status::ok();
}

void note_filter_error(Context& ctx, const ListQuery& q, const Status& s) {
  if (s.kind() == ErrorKind::kInvalidArgument && q.filter) ctx.error_data = string_to_parse_data(q.filter->source());
}

void add_data_age(Context& ctx, std::string_view pool_id) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t age_ms = -1;
  for (const auto& st : ctx.svc.cache->reader().pool_statuses()) {
    if (st.state == cache::layout::PoolState::kConnected || !st.ever_synced || st.fresh_ms == 0) continue;
    if (!pool_id.empty() && st.pool_id != pool_id) continue;
    age_ms = std::max(age_ms, std::max<int64_t>(0, now - st.fresh_ms));
  }
  if (age_ms >= 0) ctx.res.add_header("X-Data-Age", std::to_string(age_ms / 1000));
}

}  // namespace xr::app

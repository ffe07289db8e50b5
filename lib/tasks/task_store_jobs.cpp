// The runner's side of the store: claiming jobs, their owners, interruptions, aborts.
#include "tasks/task_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "tasks/task_rows.h"

namespace xr::tasks {

using detail::from_row;
using detail::is_json;
using detail::select_sql;

Result<int64_t> TaskStore::interrupt_where(std::string_view condition, std::string_view reason,
                                           std::string_view runner) {
  int64_t n = 0;
  const std::string result = error_json(reason);
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(int64_t rev, bump_revision());
    const int64_t now = now_ms();
    const std::string sql =
        "UPDATE tasks SET status='interrupted',end_ms=$1,updated_at=$1,revision=$2,result=$3,"
        "job_state=CASE WHEN job_state='' THEN '' ELSE 'done' END WHERE status='pending' AND " +
        std::string(condition);
    // A condition about one runner's jobs names it as $4.
    auto changed = runner.empty() ? db_.exec(sql, {now, rev, result})
                                  : db_.exec(sql, {now, rev, result, std::string(runner)});
    XR_ASSIGN_OR_RETURN(n, std::move(changed));
    return Status::ok();
  });
  if (!tx.is_ok()) return tx;
  if (n > 0) notify(false);
  return n;
}

Result<int64_t> TaskStore::interrupt_pending(std::string_view reason) {
  return interrupt_where("1=1", reason);
}

Result<int64_t> TaskStore::interrupt_running_jobs(std::string_view reason) {
  return interrupt_where("job_state='running'", reason);
}

Result<int64_t> TaskStore::interrupt_jobs_of(std::string_view runner, std::string_view reason) {
  if (runner.empty()) return interrupt_where("job_state='running' AND runner=''", reason);
  return interrupt_where("job_state='running' AND runner=$4", reason, runner);
}

Result<int64_t> TaskStore::interrupt_jobs_of_node(std::string_view node, std::string_view reason) {
  // substr/length: portable, and no LIKE wildcard in a node name can widen the match.
  return interrupt_where("job_state IN ('running','') AND substr(runner,1,length($4))=$4", reason,
                         std::string(node) + "|");
}

Result<std::vector<std::string>> TaskStore::running_job_owners() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
      "SELECT DISTINCT runner FROM tasks WHERE status='pending' AND "
      "(job_state='running' OR (job_state='' AND runner<>''))"));
  std::vector<std::string> out;
  for (const store::Row& r : rows) out.push_back(r.text(0));
  return out;
}

Result<std::optional<Task>> TaskStore::claim_job(std::string_view runner) {
  std::optional<Task> claimed;
  // A read first: an idle runner must not take the write lock at every wake-up.
  XR_ASSIGN_OR_RETURN(store::Rows any, db_.query("SELECT 1 FROM tasks WHERE job_state='queued' LIMIT 1"));
  if (any.empty()) return claimed;
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
        select_sql("WHERE job_state='queued' ORDER BY seq LIMIT 1")));
    if (rows.empty()) return Status::ok();
    Task t = from_row(rows[0]);
    t.job_state = JobState::kRunning;
    t.updated_at = now_ms();
    XR_ASSIGN_OR_RETURN(t.revision, bump_revision());
    XR_RETURN_IF_ERROR(write(t, false));
    XR_RETURN_IF_ERROR(db_.exec("UPDATE tasks SET runner=$1 WHERE id=$2", {std::string(runner), t.id}).status());
    claimed = std::move(t);
    return Status::ok();
  });
  if (!tx.is_ok()) return tx;
  return claimed;
}

Result<std::vector<std::string>> TaskStore::abort_requested_jobs() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
      "SELECT id FROM tasks WHERE job_state='running' AND abortion_requested_at IS NOT NULL"));
  std::vector<std::string> out;
  for (const store::Row& r : rows) out.push_back(r.text(0));
  return out;
}

}  // namespace xr::tasks

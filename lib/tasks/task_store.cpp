#include "tasks/task_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "tasks/task_id.h"
#include "tasks/task_rows.h"

namespace xr::tasks {

namespace {

// One row per task; JSON parts as text; seq (the revision that created it) orders tasks
// created in the same millisecond. task_removed remembers deletions for watchers,
// task_meta holds the revision counter (one row, bumped in every writing transaction).
constexpr std::string_view kV1 = R"sql(
CREATE TABLE tasks(
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT,
  updated_at BIGINT NOT NULL,
  revision BIGINT NOT NULL,
  properties TEXT NOT NULL,
  result TEXT,
  infos TEXT NOT NULL,
  warnings TEXT NOT NULL,
  subtasks TEXT NOT NULL,
  progress BIGINT,
  abortion_requested_at BIGINT,
  job TEXT NOT NULL,
  job_state TEXT NOT NULL,
  seq BIGINT NOT NULL);
CREATE INDEX tasks_seq ON tasks(seq);
CREATE INDEX tasks_revision ON tasks(revision);
CREATE INDEX tasks_status ON tasks(status);
CREATE INDEX tasks_job_state ON tasks(job_state);
CREATE TABLE task_removed(id TEXT NOT NULL, revision BIGINT NOT NULL);
CREATE INDEX task_removed_revision ON task_removed(revision);
CREATE TABLE task_meta(name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO task_meta(name, value) VALUES('revision', 0);
)sql";
// The runner that claimed a running job ("<pid>:<start time>"): a runner starting while another
// still drains (a reload) interrupts only the jobs of runners that are gone.
constexpr std::string_view kV2 = "ALTER TABLE tasks ADD COLUMN runner TEXT NOT NULL DEFAULT ''";
constexpr store::Migration kMigrations[] = {{1, kV1}, {2, kV2}};

constexpr std::string_view kColumns =
    "id,user_id,status,start_ms,end_ms,updated_at,revision,properties,result,infos,warnings,"
    "subtasks,progress,abortion_requested_at,job,job_state";

std::optional<int64_t> opt_int(const store::Row& r, size_t col) {
  if (r.is_null(col)) return std::nullopt;
  return r.integer(col);
}

}  // namespace

namespace detail {

Task from_row(const store::Row& r) {
  Task t;
  t.id = r.text(0);
  t.user_id = r.text(1);
  t.status = parse_status(r.text(2)).value_or(TaskStatus::kFailure);
  t.start = r.integer(3);
  t.end = opt_int(r, 4);
  t.updated_at = r.integer(5);
  t.revision = r.integer(6);
  t.properties = r.text(7);
  if (!r.is_null(8)) t.result = r.text(8);
  t.infos = r.text(9);
  t.warnings = r.text(10);
  t.subtasks = r.text(11);
  t.progress = opt_int(r, 12);
  t.abortion_requested_at = opt_int(r, 13);
  t.job = r.text(14);
  t.job_state = parse_job_state(r.text(15));
  return t;
}

std::string select_sql(std::string_view tail) {
  return "SELECT " + std::string(kColumns) + " FROM tasks " + std::string(tail);
}

bool is_json(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  return !d.HasParseError();
}

}  // namespace detail

using detail::from_row;
using detail::is_json;
using detail::select_sql;

namespace {

std::optional<std::string_view> opt_text(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

// Appends {message, data} to a JSON array text.
Result<std::string> append_log(std::string_view array_json, std::string_view message,
                               std::string_view data_json) {
  rapidjson::Document doc;
  doc.Parse(array_json.data(), array_json.size());
  if (doc.HasParseError() || !doc.IsArray()) doc.SetArray();
  rapidjson::Document data;
  data.Parse(data_json.data(), data_json.size());
  if (data.HasParseError()) {
    return Status(ErrorKind::kInvalidArgument, "log data is not JSON");
  }
  auto& a = doc.GetAllocator();
  rapidjson::Value entry(rapidjson::kObjectType);
  entry.AddMember("message", rapidjson::Value(message.data(), static_cast<rapidjson::SizeType>(message.size()), a), a);
  entry.AddMember("data", rapidjson::Value(data, a), a);
  doc.PushBack(entry, a);
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  doc.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<TaskStore>> TaskStore::open(store::Db& db, ChangeNotifier* notifier,
                                                   int64_t gc_keep) {
  XR_RETURN_IF_ERROR(db.migrate("tasks", kMigrations));
  return std::unique_ptr<TaskStore>(new TaskStore(db, notifier, gc_keep < 1 ? 1 : gc_keep));
}

void TaskStore::notify(bool job) {
  // Other nodes sharing the store (PostgreSQL NOTIFY; nothing on SQLite): their runner's
  // listener bumps their own futexes (fcgi-app/runner/node_listener.h).
  (void)db_.notify(kChangesChannel, job ? "job" : "task");
  if (notifier_ == nullptr) return;
  notifier_->tasks_changed();
  if (job) notifier_->job_queued();
}

Result<int64_t> TaskStore::bump_revision() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
      "UPDATE task_meta SET value=value+1 WHERE name='revision' RETURNING value"));
  if (rows.empty()) return Status(ErrorKind::kInternal, "task_meta has no revision row");
  return rows[0].integer(0);
}

Status TaskStore::write(const Task& t, bool insert) {
  const std::string_view sql = insert
      ? "INSERT INTO tasks(id,user_id,status,start_ms,end_ms,updated_at,revision,properties,"
        "result,infos,warnings,subtasks,progress,abortion_requested_at,job,job_state,seq) "
        "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$7)"
      : "UPDATE tasks SET user_id=$2,status=$3,start_ms=$4,end_ms=$5,updated_at=$6,revision=$7,"
        "properties=$8,result=$9,infos=$10,warnings=$11,subtasks=$12,progress=$13,"
        "abortion_requested_at=$14,job=$15,job_state=$16 WHERE id=$1";
  auto p = [](const std::optional<int64_t>& v) { return v ? store::Param(*v) : store::Param(nullptr); };
  auto result = opt_text(t.result);
  return db_.exec(sql, {t.id, t.user_id, status_name(t.status), t.start, p(t.end), t.updated_at,
                        t.revision, t.properties,
                        result ? store::Param(*result) : store::Param(nullptr), t.infos,
                        t.warnings, t.subtasks, p(t.progress), p(t.abortion_requested_at), t.job,
                        job_state_name(t.job_state)})
      .status();
}

Status TaskStore::collect_garbage(int64_t rev) {
  XR_ASSIGN_OR_RETURN(store::Rows count, db_.query("SELECT COUNT(*) FROM tasks"));
  if (count.empty() || count[0].integer(0) <= gc_keep_) return Status::ok();
  XR_ASSIGN_OR_RETURN(store::Rows gone, db_.query(
      "DELETE FROM tasks WHERE status<>'pending' AND id NOT IN "
      "(SELECT id FROM tasks ORDER BY seq DESC LIMIT $1) RETURNING id",
      {gc_keep_}));
  for (const store::Row& r : gone) {
    XR_RETURN_IF_ERROR(db_.exec("INSERT INTO task_removed(id,revision) VALUES($1,$2)",
                                {r.text(0), rev}).status());
  }
  // Removals are remembered as long as tasks are.
  return db_.exec("DELETE FROM task_removed WHERE revision < $1",
                  {rev - gc_keep_}).status();
}

Result<Task> TaskStore::create(const NewTask& n) {
  if (!is_json(n.properties) || (!n.job.empty() && !is_json(n.job))) {
    return Status(ErrorKind::kInvalidArgument, "task properties and job must be JSON");
  }
  Task t;
  const int64_t now = now_ms();
  t.id = new_task_id(now);
  t.user_id = n.user_id;
  t.start = now;
  t.updated_at = now;
  t.properties = n.properties;
  t.job = n.job;
  t.job_state = n.job.empty() ? JobState::kNone : JobState::kQueued;
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(t.revision, bump_revision());
    XR_RETURN_IF_ERROR(write(t, true));
    if (t.job.empty() && !db_.origin().empty()) {
      // A task without a job runs in the node that made it: name the node, so that a
      // restart or an expired lease of that node ends it (interrupt_jobs_of_node).
      XR_RETURN_IF_ERROR(db_.exec("UPDATE tasks SET runner=$1 WHERE id=$2",
                                  {std::string(db_.origin()) + "|", t.id}).status());
    }
    return collect_garbage(t.revision);
  });
  if (!tx.is_ok()) return tx;
  notify(!t.job.empty());
  return t;
}

Result<Task> TaskStore::get(std::string_view id) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(select_sql("WHERE id=$1"), {id}));
  if (rows.empty()) return Status(ErrorKind::kNotFound, "no such task " + std::string(id));
  return from_row(rows[0]);
}

Result<std::vector<Task>> TaskStore::list(std::string_view user_id) {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
      select_sql("WHERE $1='' OR user_id=$1 ORDER BY seq"), {std::string(user_id)}));
  std::vector<Task> out;
  out.reserve(rows.size());
  for (const store::Row& r : rows) out.push_back(from_row(r));
  return out;
}

Result<Task> TaskStore::update(std::string_view id, const std::function<Status(Task&)>& change) {
  Task t;
  bool queued = false;
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(select_sql("WHERE id=$1"), {id}));
    if (rows.empty()) return Status(ErrorKind::kNotFound, "no such task " + std::string(id));
    const Task before = from_row(rows[0]);
    t = before;
    XR_RETURN_IF_ERROR(change(t));
    t.id = before.id;
    if (!before.pending() && t.status != before.status) {
      return Status(ErrorKind::kConflict, "task " + t.id + " is already " +
                                              std::string(status_name(before.status)));
    }
    const int64_t now = now_ms();
    if (before.pending() && !t.pending()) {
      if (!t.end) t.end = now;
      if (t.job_state != JobState::kNone) t.job_state = JobState::kDone;
    }
    queued = t.job_state == JobState::kQueued && before.job_state != JobState::kQueued;
    t.updated_at = now;
    XR_ASSIGN_OR_RETURN(t.revision, bump_revision());
    return write(t, false);
  });
  if (!tx.is_ok()) return tx;
  notify(queued);
  return t;
}

Result<Task> TaskStore::set_progress(std::string_view id, int64_t percent) {
  if (percent < 0) percent = 0;
  if (percent > 100) percent = 100;
  return update(id, [&](Task& t) {
    t.progress = percent;
    return Status::ok();
  });
}

Result<Task> TaskStore::add_info(std::string_view id, std::string_view message, std::string_view data) {
  return update(id, [&](Task& t) -> Status {
    XR_ASSIGN_OR_RETURN(t.infos, append_log(t.infos, message, data));
    return Status::ok();
  });
}

Result<Task> TaskStore::add_warning(std::string_view id, std::string_view message, std::string_view data) {
  return update(id, [&](Task& t) -> Status {
    XR_ASSIGN_OR_RETURN(t.warnings, append_log(t.warnings, message, data));
    return Status::ok();
  });
}

Result<Task> TaskStore::finish(std::string_view id, TaskStatus status, std::string_view result_json) {
  if (status == TaskStatus::kPending) {
    return Status(ErrorKind::kInvalidArgument, "a task finishes with success, failure or interrupted");
  }
  if (!result_json.empty() && !is_json(result_json)) {
    return Status(ErrorKind::kInvalidArgument, "task result is not JSON");
  }
  return update(id, [&](Task& t) -> Status {
    if (!t.pending()) {
      return Status(ErrorKind::kConflict, "task " + t.id + " is already " +
                                              std::string(status_name(t.status)));
    }
    t.status = status;
    if (!result_json.empty()) t.result = std::string(result_json);
    if (status == TaskStatus::kSuccess && t.progress) t.progress = 100;
    return Status::ok();
  });
}

Result<Task> TaskStore::request_abort(std::string_view id) {
  return update(id, [&](Task& t) -> Status {
    if (!t.pending()) {
      return Status(ErrorKind::kConflict, "task " + t.id + " is already " +
                                              std::string(status_name(t.status)));
    }
    if (!t.abortion_requested_at) t.abortion_requested_at = now_ms();
    return Status::ok();
  });
}

Status TaskStore::remove(std::string_view id, std::string_view user_id) {
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
        "SELECT status FROM tasks WHERE id=$1 AND ($2='' OR user_id=$2)", {id, std::string(user_id)}));
    if (rows.empty()) return Status(ErrorKind::kNotFound, "no such task " + std::string(id));
    if (rows[0].text(0) == "pending") {
      return Status(ErrorKind::kConflict, "task " + std::string(id) + " is pending: abort it first");
    }
    XR_ASSIGN_OR_RETURN(int64_t rev, bump_revision());
    XR_RETURN_IF_ERROR(db_.exec("DELETE FROM tasks WHERE id=$1", {id}).status());
    return db_.exec("INSERT INTO task_removed(id,revision) VALUES($1,$2)", {id, rev}).status();
  });
  if (!tx.is_ok()) return tx;
  notify(false);
  return Status::ok();
}

Result<int64_t> TaskStore::remove_finished(std::string_view user_id) {
  int64_t n = 0;
  Status tx = store::in_transaction(db_, [&](store::Db&) -> Status {
    XR_ASSIGN_OR_RETURN(int64_t rev, bump_revision());
    XR_ASSIGN_OR_RETURN(store::Rows gone, db_.query(
        "DELETE FROM tasks WHERE status<>'pending' AND ($1='' OR user_id=$1) RETURNING id",
        {std::string(user_id)}));
    for (const store::Row& r : gone) {
      XR_RETURN_IF_ERROR(db_.exec("INSERT INTO task_removed(id,revision) VALUES($1,$2)",
                                  {r.text(0), rev}).status());
    }
    n = static_cast<int64_t>(gone.size());
    return Status::ok();
  });
  if (!tx.is_ok()) return tx;
  if (n > 0) notify(false);
  return n;
}

Result<int64_t> TaskStore::revision() {
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query("SELECT value FROM task_meta WHERE name='revision'"));
  return rows.empty() ? 0 : rows[0].integer(0);
}

Result<Changes> TaskStore::changes_since(int64_t since) {
  Changes c;
  // One read transaction is not available through Db; reading the revision first makes a
  // concurrent change show up now or in the next call, never be lost.
  XR_ASSIGN_OR_RETURN(c.revision, revision());
  XR_ASSIGN_OR_RETURN(store::Rows rows, db_.query(
      select_sql("WHERE revision>$1 ORDER BY seq"), {since}));
  for (const store::Row& r : rows) c.updated.push_back(from_row(r));
  XR_ASSIGN_OR_RETURN(store::Rows gone, db_.query(
      "SELECT id,revision FROM task_removed WHERE revision>$1 ORDER BY revision", {since}));
  for (const store::Row& r : gone) {
    c.removed.push_back(r.text(0));
    c.removed_at.push_back(r.integer(1));
  }
  return c;
}

}  // namespace xr::tasks

// XO tasks in the durable store (lib/store): create, read, list, change, delete, the
// runner's job queue, restart and crash recovery, garbage collection, and a revision
// counter that tells waiters and watch streams what changed. One TaskStore per thread, on
// that thread's connection; any number of processes share the database. Calls block on
// database I/O (never call them from an event-loop thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/db.h"
#include "tasks/task.h"

namespace xr::tasks {

// Told after a commit that changed tasks (the program bumps ControlBlock.tasks_changed /
// jobs_queued and wakes their futex waiters). Called on the writing thread.
class ChangeNotifier {
 public:
  virtual ~ChangeNotifier() = default;
  virtual void tasks_changed() = 0;
  virtual void job_queued() = 0;
};

struct NewTask {
  std::string user_id;
  std::string properties = "{}";  // JSON object (name, type, objectType, objectId, userId, ...)
  std::string job;                // JSON object; non-empty: queued for the runner
};

// What changed after a revision: rows changed (current state) and ids removed.
struct Changes {
  int64_t revision = 0;  // the store's revision when read; pass it to the next call
  std::vector<Task> updated;
  std::vector<std::string> removed;
  std::vector<int64_t> removed_at;  // the revision of each removal (same order as `removed`)
};

// The store notification channel (store::Db::notify) of task changes: payload "job" when a
// job was queued, else "task".
inline constexpr std::string_view kChangesChannel = "xr_tasks";

class TaskStore {
 public:
  static constexpr int64_t kDefaultGcKeep = 1000;

  // Uses `db` (which must outlive the store) and migrates the "tasks" component.
  // `notifier` may be null (tests, CLI). `gc_keep` = tasks.gc_keep.
  static Result<std::unique_ptr<TaskStore>> open(store::Db& db, ChangeNotifier* notifier = nullptr,
                                                 int64_t gc_keep = kDefaultGcKeep);

  // A new pending task (start = updatedAt = now, XO id); queued when it has a job.
  // Finished tasks beyond the newest gc_keep are deleted in the same transaction.
  Result<Task> create(const NewTask& task);
  // kNotFound when there is none.
  Result<Task> get(std::string_view id);
  // Oldest first; only `user_id`'s when it is not empty.
  Result<std::vector<Task>> list(std::string_view user_id = {});

  // Applies `change` to the current row in one transaction, checks the result (a finished
  // task never changes status again: kConflict; a task that finishes gets `end` and its job
  // becomes done), bumps the revision and updatedAt. Returns the row as written.
  Result<Task> update(std::string_view id, const std::function<Status(Task&)>& change);
  // Helpers on update():
  Result<Task> set_progress(std::string_view id, int64_t percent);
  Result<Task> add_info(std::string_view id, std::string_view message, std::string_view data_json = "{}");
  Result<Task> add_warning(std::string_view id, std::string_view message, std::string_view data_json = "{}");
  // success with `result_json` (any JSON; "" = no result) or failure with an error object
  // (error_json()). kConflict when the task is already finished.
  Result<Task> finish(std::string_view id, TaskStatus status, std::string_view result_json);
  // Sub-tasks (XO's "tasks", for multi-step actions such as rolling_update): a new pending
  // step {id "<task>.<n>", properties {name, ...properties_json}, start, status}, nested as
  // XO nests them: inside the innermost step still pending (its own "tasks"), else at the
  // top level. Returns its index n (steps are numbered in begin order across the tree).
  Result<size_t> begin_subtask(std::string_view id, std::string_view name, std::string_view properties_json = {});
  // The step ends: success (result_json may be "") or failure (an error_json()).
  Result<Task> end_subtask(std::string_view id, size_t index, TaskStatus status, std::string_view result_json);
  // Sets abortionRequestedAt (once); kConflict when the task is finished.
  Result<Task> request_abort(std::string_view id);

  // Deletes a finished task (of `user_id` when not empty). kNotFound, or kConflict while
  // it is pending (abort it first).
  Status remove(std::string_view id, std::string_view user_id = {});
  // Deletes every finished task (of `user_id` when not empty); returns how many.
  Result<int64_t> remove_finished(std::string_view user_id = {});

  // Service start: every pending task becomes interrupted with `reason` (its result).
  Result<int64_t> interrupt_pending(std::string_view reason);
  // Every running job's task becomes interrupted with `reason` (whoever runs it).
  Result<int64_t> interrupt_running_jobs(std::string_view reason);
  // Runner `runner` is gone: its running jobs' tasks become interrupted with `reason`.
  Result<int64_t> interrupt_jobs_of(std::string_view runner, std::string_view reason);
  // Runners named "<node>|..." are all gone (that node restarts or its lease expired):
  // their running jobs' tasks, and the pending job-less tasks that node made (on a shared
  // store a task without a job is owned by "<node>|", Db::origin), become interrupted.
  Result<int64_t> interrupt_jobs_of_node(std::string_view node, std::string_view reason);
  // The runners of the running jobs ("" for jobs claimed without a name), and the owners
  // ("<node>|") of pending job-less tasks on a shared store.
  Result<std::vector<std::string>> running_job_owners();
  // The oldest queued job, now marked running and owned by `runner`; nullopt when none is
  // queued.
  Result<std::optional<Task>> claim_job(std::string_view runner = {});
  // Ids of running jobs whose task has an abort request.
  Result<std::vector<std::string>> abort_requested_jobs();

  // The store's change counter (0 for a new database); every committed change bumps it.
  Result<int64_t> revision();
  // Rows changed and ids removed after `since` (removals are remembered for the newest
  // gc_keep of them; a caller further behind re-lists).
  Result<Changes> changes_since(int64_t since);

 private:
  TaskStore(store::Db& db, ChangeNotifier* notifier, int64_t gc_keep)
      : db_(db), notifier_(notifier), gc_keep_(gc_keep) {}
  Result<int64_t> bump_revision();
  Status write(const Task& t, bool insert);
  Status collect_garbage(int64_t rev);
  Result<int64_t> interrupt_where(std::string_view condition, std::string_view reason,
                                  std::string_view runner = {});
  void notify(bool job);

  store::Db& db_;
  ChangeNotifier* notifier_;
  int64_t gc_keep_;
};

// Wall-clock ms since the epoch.
int64_t now_ms();

}  // namespace xr::tasks

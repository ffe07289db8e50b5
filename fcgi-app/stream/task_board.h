// The stream role's copy of the XO tasks (fed by TaskFeed batches) and what follows it:
// handed-off waits (`/_xr/wait`, routes/task_wait.h), watch streams on `/rest/v0/tasks`
// (`?ndjson&watch`, fields, filter, since, revision, heartbeat) and SSE `task`
// subscriptions. Task revisions are the store's durable counter, written in decimal
// (`X-Revision` of GET /tasks, the third element of a line with `revision`). Stream thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "filter/filter.h"
#include "routes/context.h"
#include "routes/list_output.h"
#include "routes/task_wait.h"
#include "base/rapidjson_view.h"
#include "stream/connection.h"
#include "stream/filter_spend.h"
#include "stream/open_stream.h"
#include "stream/task_feed.h"
#include "tasks/task.h"

namespace xr::app {

class WatchHub;

// Something the board tells about task changes.
class TaskClient {
 public:
  virtual ~TaskClient() = default;
  // Task `id` changed at `revision` (`task` null: removed).
  virtual void changed(const std::string& id, const tasks::Task* task, int64_t revision) = 0;
  // A read of the store answering asks up to `asked` was applied.
  virtual void answered(uint64_t asked) { (void)asked; }
  virtual void tick(int64_t now_ms) { (void)now_ms; }
  // The one task this client follows (a wait), or null for every task: changes of other
  // tasks are then not even offered to it.
  virtual const std::string* task_id() const { return nullptr; }
};

class TaskBoard {
 public:
  TaskBoard(TaskFeed* feed, WatchHub& hub) : feed_(feed), hub_(hub) {}
  bool ready() const { return ready_; }
  int64_t revision() const { return revision_; }
  const std::map<std::string, tasks::Task>& tasks() const { return tasks_; }
  const tasks::Task* find(const std::string& id) const;
  // Asks the feed for a fresh read; the number answered() will reach.
  uint64_t ask() { return feed_ != nullptr ? feed_->ask() : 0; }
  void set_feed(TaskFeed* feed) { feed_ = feed; }
  // Deletes a task through the feed (its removal comes back as a change).
  void delete_task(const std::string& id) {
    if (feed_ != nullptr) feed_->remove(id);
  }
  // Removals after `since` (ids with their revision), or nullopt when `since` is older than
  // what this process remembers (the caller answers 410).
  std::optional<std::vector<std::pair<std::string, int64_t>>> removed_since(int64_t since) const;
  // What a client that knew the tasks at `since` missed, in revision order: each task changed
  // after it in its current state, each removal after it with its revision (`task` null).
  // False, and nothing called, when `since` is too old (the caller answers 410).
  bool replay_since(int64_t since,
                    const std::function<void(const std::string& id, const tasks::Task* task, int64_t revision)>& fn) const;

  void apply(TaskBatch batch);
  void add(TaskClient* c);
  void remove(TaskClient* c);
  void tick(int64_t now_ms);
  WatchHub& hub() { return hub_; }

 private:
  // Calls fn on the clients of `list` there when the call starts (removed ones skipped).
  void each(std::vector<TaskClient*>& list, const std::function<void(TaskClient&)>& fn);
  // Every client (per batch: answered, tick).
  void each(const std::function<void(TaskClient&)>& fn);
  // A change of task `id`: the clients of every task and the waits for that one.
  void changed(const std::string& id, const tasks::Task* task, int64_t revision);
  void compact();

  TaskFeed* feed_;
  WatchHub& hub_;
  bool ready_ = false;
  int64_t revision_ = 0;
  int64_t known_from_ = 0;  // removals are known after this revision
  std::map<std::string, tasks::Task> tasks_;  // by id = creation order
  std::deque<std::pair<std::string, int64_t>> removals_;
  std::vector<TaskClient*> clients_;  // of every task
  std::unordered_map<std::string, std::vector<TaskClient*>> waits_;  // by task_id()
  int dispatching_ = 0;
  bool holes_ = false;  // removed during a dispatch: compacted after it
};

// What a task looks like to one client: visible to its user, passing the filter, projected.
struct TaskQuery {
  std::string owner;  // "" = every user's (admin)
  ListOptions options;
  std::optional<filter::Filter> filter;
  // The filter's budget once limit() was called (a /tasks watch); shared by copies.
  std::shared_ptr<FilterSpend> spend;
  std::shared_ptr<filter::Filter::Matcher<RapidJsonView>> matcher;
  void limit(FilterLimits limits);
  // OK while the filter is within its budget (or has none).
  Status budget_error() const { return spend ? spend->error() : Status::ok(); }
  // The entry a list would show (href or projected object) and the hash of what counts as a
  // change; false when the task is not shown to this client (or the budget is spent).
  bool describe(const tasks::Task& t, std::string* entry, uint64_t* hash) const;
  std::string remove_entry(const std::string& id) const;
};

// A handed-off wait: no answer until the task is where the wait ends (or gone: 404).
class TaskWait : public OpenStream, public TaskClient {
 public:
  TaskWait(TaskBoard& board, Connection& conn, Services& svc, std::unique_ptr<Request> req, TaskWaitSpec spec);
  ~TaskWait() override;
  const std::string* task_id() const override { return &spec_.task_id; }
  void started() override;
  void changed(const std::string& id, const tasks::Task* task, int64_t revision) override;
  void answered(uint64_t asked) override;
  std::string stop_text(std::string_view reason) override;
  bool held_through_stop() const override { return !done_; }

 private:
  void finish(const tasks::Task* task);  // ends the request (null: no such task)

  TaskBoard& board_;
  Connection& conn_;
  Services& svc_;
  std::unique_ptr<Request> req_;
  TaskWaitSpec spec_;
  uint64_t ask_ = 0;  // waiting for the feed to confirm an unknown id
  bool done_ = false;
  bool deleting_ = false;  // kDelete: the task ended, its deletion was asked
};

// GET /rest/v0/tasks?ndjson&watch: ["update", entry] / ["remove", entry] lines.
// The board may lag behind the store (the feed reads it after a wake-up): a watch opened
// right after a task changed would take that change for news. So the head waits for a read
// of the store asked when the request came (`answered`); the watch starts from the board
// then, which holds every change committed before the request: X-Revision is never behind a
// list the client made first, and nothing the client could already see is sent as an update.
class TaskWatchStream : public OpenStream, public TaskClient {
 public:
  TaskWatchStream(TaskBoard& board, Connection& conn, TaskQuery query, bool revision, int heartbeat_s,
                  size_t limit);
  ~TaskWatchStream() override;
  // Sends the replay after `since` (nullopt: none) once the head is out.
  void set_since(std::optional<int64_t> since) { since_ = since; }
  void started() override {}
  void changed(const std::string& id, const tasks::Task* task, int64_t revision) override;
  void answered(uint64_t asked) override;
  void tick(int64_t now_ms) override;
  std::string closing_text(std::string_view reason) override;
  std::string stop_text(std::string_view reason) override;

 private:
  // The board caught up: the head (or a 410 for a `since` too old), then the replay.
  void start();
  void line(std::string_view kind, std::string_view entry, int64_t revision, std::string* out) const;
  void event(const std::string& id, const tasks::Task* task, int64_t revision, std::string* out);
  void flush(std::string text);
  // Ends the stream with the reason its filter's budget is spent; true when it did.
  bool ended_by_budget();

  TaskBoard& board_;
  Connection& conn_;
  TaskQuery query_;
  bool revision_;
  int heartbeat_s_;
  size_t limit_;
  std::optional<int64_t> since_;
  int64_t position_ = 0;
  int64_t last_write_ms_ = 0;
  std::unordered_map<std::string, uint64_t> told_;  // shown tasks -> hash of what was sent
  uint64_t ask_ = 0;      // the read of the store the head waits for
  bool started_ = false;  // the head is out
  bool dropped_ = false;
};

// The whole answer of a request held before it wrote anything, when the role stops:
// 503 "<reason>: <what to do>".
std::string stopped_answer(std::string_view reason, std::string_view what);

// The head of a /tasks watch (NDJSON, unbuffered, X-Revision: the board's revision).
void write_task_watch_head(Response& res, int64_t revision);

// Parses a task revision (decimal, from X-Revision or a line); nullopt when malformed.
std::optional<int64_t> parse_task_revision(std::string_view text);

}  // namespace xr::app

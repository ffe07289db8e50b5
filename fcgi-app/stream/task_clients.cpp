// TaskWait and TaskWatchStream (declared in task_board.h): the clients of a TaskBoard that
// answer a handed-off wait and a `/rest/v0/tasks` watch. Stream thread only.
#include <chrono>
#include <string>

#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "stream/task_board.h"
#include "stream/watch.h"

namespace xr::app {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// --- TaskWait ---

TaskWait::TaskWait(TaskBoard& board, Connection& conn, Services& svc, std::unique_ptr<Request> req,
                   TaskWaitSpec spec)
    : board_(board), conn_(conn), svc_(svc), req_(std::move(req)), spec_(std::move(spec)) {
  board_.add(this);
}

TaskWait::~TaskWait() { board_.remove(this); }

void TaskWait::started() {
  if (!board_.ready()) return;  // the first batch will tell
  const tasks::Task* t = board_.find(spec_.task_id);
  if (t == nullptr) {
    ask_ = board_.ask();  // just created by a worker: the feed may not have read it yet
    return;
  }
  if (spec_.satisfied_by(*t)) finish(t);
}

void TaskWait::changed(const std::string& id, const tasks::Task* task, int64_t revision) {
  (void)revision;
  if (done_ || id != spec_.task_id) return;
  if (task == nullptr || spec_.satisfied_by(*task)) finish(task);
}

void TaskWait::answered(uint64_t asked) {
  if (done_) return;
  const tasks::Task* t = board_.find(spec_.task_id);
  if (t != nullptr) {
    if (spec_.satisfied_by(*t)) finish(t);
    return;
  }
  if (ask_ == 0) {
    ask_ = board_.ask();
  } else if (asked >= ask_) {
    finish(nullptr);
  }
}

void TaskWait::finish(const tasks::Task* task) {
  if (spec_.answer == TaskWaitSpec::Answer::kDelete && task != nullptr) {
    // Ended: delete it, answer once the removal is seen (a null task).
    if (!deleting_) {
      deleting_ = true;
      board_.delete_task(spec_.task_id);
    }
    return;
  }
  done_ = true;
  std::string bytes;
  Response res(&bytes, req_->method() == "HEAD");
  Context ctx{*req_, res, svc_, {}, std::nullopt, {}, nullptr};
  Status s = task != nullptr ? answer_task_wait(ctx, spec_, *task)
             : spec_.answer == TaskWaitSpec::Answer::kDelete ? (res.send(204, "", ""), Status::ok())
                                                             : no_such("task", spec_.task_id, &ctx.error_data);
  if (!s.is_ok()) {
    bytes.clear();
    Response err(&bytes, req_->method() == "HEAD");
    write_error(err, s, ctx.error_data);
  } else {
    res.finish();
  }
  Connection& conn = conn_;
  board_.hub().touched(conn.fd());
  conn.send(bytes);
  conn.end();  // destroys this
}

std::string TaskWait::stop_text(std::string_view reason) {
  if (done_) return {};
  done_ = true;
  return stopped_answer(reason, "wait again");
}

// --- TaskWatchStream ---

TaskWatchStream::TaskWatchStream(TaskBoard& board, Connection& conn, TaskQuery query, bool revision,
                                 int heartbeat_s, size_t limit)
    : board_(board), conn_(conn), query_(std::move(query)), revision_(revision), heartbeat_s_(heartbeat_s),
      limit_(limit) {
  ask_ = board_.ask();
  board_.add(this);
}

TaskWatchStream::~TaskWatchStream() { board_.remove(this); }

void TaskWatchStream::answered(uint64_t asked) {
  if (!started_ && asked >= ask_) start();
}

void TaskWatchStream::start() {
  started_ = true;
  position_ = board_.revision();
  if (query_.spend) query_.spend->start_pass();
  // What the client is taken to know: every task shown now (the seed sends none of them).
  for (const auto& [id, t] : board_.tasks()) {
    std::string entry;
    uint64_t hash = 0;
    if (query_.describe(t, &entry, &hash)) told_[id] = hash;
  }
  std::string replay;
  // The replay: the client may have some of these already (updates are idempotent).
  const bool resumed = !since_ || board_.replay_since(*since_, [&](const std::string& id, const tasks::Task* t,
                                                                   int64_t revision) {
    std::string entry;
    uint64_t hash = 0;
    if (t == nullptr) {
      told_.erase(id);
      line("remove", query_.remove_entry(id), revision, &replay);
    } else if (query_.describe(*t, &entry, &hash)) {
      told_[id] = hash;
      line("update", entry, revision, &replay);
    }
  });
  std::string bytes;
  board_.hub().touched(conn_.fd());
  if (Status spent = query_.budget_error(); !spent.is_ok()) {
    // Spent on the tasks kept, before the head: the request's error, as for a list.
    Response err(&bytes, false);
    write_error(err, spent, spent.kind() == ErrorKind::kInvalidArgument && query_.filter
                                ? string_to_parse_data(query_.filter->source())
                                : std::string());
    dropped_ = true;
    conn_.send(bytes);
    conn_.end();  // destroys this
    return;
  }
  if (!resumed) {
    Response err(&bytes, false);
    write_error(err,
                Status(ErrorKind::kGone, "revision too old to resume from: list the collection again and "
                                         "watch with since=<its X-Revision header>"),
                "{\"since\":" + json_string(std::to_string(*since_)) + ",\"revision\":" +
                    json_string(std::to_string(position_)) + "}");
    dropped_ = true;
    conn_.send(bytes);
    conn_.end();  // destroys this
    return;
  }
  Response res(&bytes, false);
  write_task_watch_head(res, position_);
  conn_.send(bytes + replay);
  last_write_ms_ = now_ms();
}

std::string TaskWatchStream::stop_text(std::string_view reason) {
  if (started_) return revision_ ? closing_text(reason) : std::string();
  return stopped_answer(reason, "watch again");  // no head yet: the whole answer
}

void TaskWatchStream::line(std::string_view kind, std::string_view entry, int64_t revision, std::string* out) const {
  out->append("[\"").append(kind).append("\",").append(entry);
  if (revision_) out->append(",\"").append(std::to_string(revision)).append("\"");
  out->append("]\n");
}

void TaskWatchStream::event(const std::string& id, const tasks::Task* task, int64_t revision, std::string* out) {
  std::string entry;
  uint64_t hash = 0;
  if (query_.spend) query_.spend->start_pass();
  const bool shown = task != nullptr && query_.describe(*task, &entry, &hash);
  if (!query_.budget_error().is_ok()) return;  // no made-up remove: the stream ends (changed())
  if (shown) {
    auto it = told_.find(id);
    if (it != told_.end() && it->second == hash) return;  // nothing this client sees changed
    told_[id] = hash;
    line("update", entry, revision, out);
    return;
  }
  if (told_.erase(id) == 0) return;  // never shown: nothing to remove
  line("remove", query_.remove_entry(id), revision, out);
}

bool TaskWatchStream::ended_by_budget() {
  const Status spent = query_.budget_error();
  if (spent.is_ok()) return false;
  dropped_ = true;
  conn_.send(closing_text(spent.message()));
  board_.hub().touched(conn_.fd());
  conn_.end();  // destroys this
  return true;
}

void TaskWatchStream::flush(std::string text) {
  if (text.empty()) return;
  conn_.send(text);
  last_write_ms_ = now_ms();
  board_.hub().touched(conn_.fd());
  if (conn_.pending() > limit_) {
    dropped_ = true;
    conn_.drop_unsent();
    conn_.send(closing_text("client too slow: more than stream.client_buffer_kb of events waiting"));
    conn_.end();  // destroys this
  }
}

void TaskWatchStream::changed(const std::string& id, const tasks::Task* task, int64_t revision) {
  if (!started_ || dropped_) return;  // before the head: the board's state at start() covers it
  position_ = std::max(position_, revision);
  std::string text;
  event(id, task, revision, &text);
  if (ended_by_budget()) return;
  flush(std::move(text));
}

void TaskWatchStream::tick(int64_t now) {
  if (!started_ || dropped_ || heartbeat_s_ <= 0) return;
  if (now - last_write_ms_ < int64_t{heartbeat_s_} * 1000) return;
  std::string text;
  line("ping", std::to_string(now), position_, &text);
  flush(std::move(text));
}

std::string TaskWatchStream::closing_text(std::string_view reason) {
  if (reason.empty()) return {};
  std::string entry = "{\"error\":" + json_string(reason) + ",\"revision\":\"" + std::to_string(position_) + "\"}";
  std::string text;
  line("error", entry, position_, &text);
  return text;
}

}  // namespace xr::app

#include "stream/task_board.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>

#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "stream/watch.h"

namespace xr::app {

namespace {

constexpr size_t kRemovalsKept = 16384;  // removals remembered for `since`

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t hash_text(std::string_view text) { return std::hash<std::string_view>()(text); }

}  // namespace

std::optional<int64_t> parse_task_revision(std::string_view text) {
  int64_t r = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), r);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || r < 0) return std::nullopt;
  return r;
}

std::string stopped_answer(std::string_view reason, std::string_view what) {
  std::string bytes;
  Response err(&bytes, false);
  write_error(err, Status(ErrorKind::kUnavailable, std::string(reason) + ": " + std::string(what)), "");
  return bytes;
}

void write_task_watch_head(Response& res, int64_t revision) {
  res.set_content_type("application/x-ndjson");
  res.add_header("Cache-Control", "no-cache");
  res.add_header("X-Accel-Buffering", "no");
  res.add_header("X-Revision", std::to_string(revision));
  res.write("");
}

// --- TaskBoard ---

const tasks::Task* TaskBoard::find(const std::string& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::optional<std::vector<std::pair<std::string, int64_t>>> TaskBoard::removed_since(int64_t since) const {
  if (!ready_ || since < known_from_ || since > revision_) return std::nullopt;
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& r : removals_) {
    if (r.second > since) out.push_back(r);
  }
  return out;
}

bool TaskBoard::replay_since(
    int64_t since, const std::function<void(const std::string& id, const tasks::Task* task, int64_t revision)>& fn) const {
  auto removed = removed_since(since);
  if (!removed) return false;
  std::vector<std::pair<int64_t, std::string>> touched_at;  // (revision, id)
  for (const auto& [id, t] : tasks_) {
    if (t.revision > since) touched_at.emplace_back(t.revision, id);
  }
  std::vector<std::pair<int64_t, std::string>> gone;
  for (auto& [id, rev] : *removed) {
    if (find(id) == nullptr) gone.emplace_back(rev, id);  // not created again since
  }
  std::sort(touched_at.begin(), touched_at.end());
  std::sort(gone.begin(), gone.end());
  size_t a = 0, b = 0;
  while (a < touched_at.size() || b < gone.size()) {
    if (b >= gone.size() || (a < touched_at.size() && touched_at[a].first <= gone[b].first)) {
      fn(touched_at[a].second, find(touched_at[a].second), touched_at[a].first);
      ++a;
    } else {
      fn(gone[b].second, nullptr, gone[b].first);
      ++b;
    }
  }
  return true;
}

void TaskBoard::add(TaskClient* c) {
  if (const std::string* id = c->task_id()) {
    waits_[*id].push_back(c);
  } else {
    clients_.push_back(c);
  }
}

void TaskBoard::remove(TaskClient* c) {
  const std::string* id = c->task_id();
  auto w = id != nullptr ? waits_.find(*id) : waits_.end();
  if (id != nullptr && w == waits_.end()) return;
  std::vector<TaskClient*>& list = id != nullptr ? w->second : clients_;
  auto it = std::find(list.begin(), list.end(), c);
  if (it == list.end()) return;
  if (dispatching_ > 0) {
    *it = nullptr;  // compacted after the dispatch
    holes_ = true;
  } else {
    list.erase(it);
    if (id != nullptr && list.empty()) waits_.erase(w);
  }
}

void TaskBoard::compact() {
  if (!holes_) return;
  holes_ = false;
  clients_.erase(std::remove(clients_.begin(), clients_.end(), nullptr), clients_.end());
  for (auto it = waits_.begin(); it != waits_.end();) {
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), nullptr), list.end());
    it = list.empty() ? waits_.erase(it) : std::next(it);
  }
}

void TaskBoard::each(std::vector<TaskClient*>& list, const std::function<void(TaskClient&)>& fn) {
  ++dispatching_;
  const size_t n = list.size();  // clients added meanwhile start after this
  for (size_t i = 0; i < n; ++i) {
    if (list[i] != nullptr) fn(*list[i]);
  }
  if (--dispatching_ == 0) compact();
}

void TaskBoard::each(const std::function<void(TaskClient&)>& fn) {
  ++dispatching_;  // the map's lists are compacted after the whole walk, not during it
  each(clients_, fn);
  for (auto& [id, list] : waits_) each(list, fn);
  if (--dispatching_ == 0) compact();
}

void TaskBoard::changed(const std::string& id, const tasks::Task* task, int64_t revision) {
  ++dispatching_;
  each(clients_, [&](TaskClient& c) { c.changed(id, task, revision); });
  if (auto w = waits_.find(id); w != waits_.end()) {
    each(w->second, [&](TaskClient& c) { c.changed(id, task, revision); });
  }
  if (--dispatching_ == 0) compact();
}

void TaskBoard::apply(TaskBatch batch) {
  if (batch.reload) {
    // Everything the board had and the store no longer has is a removal at this revision.
    std::map<std::string, tasks::Task> fresh;
    for (auto& e : batch.events) {
      if (e.task) fresh.emplace(e.id, std::move(*e.task));
    }
    std::vector<std::string> gone;
    for (const auto& [id, t] : tasks_) {
      if (!fresh.count(id)) gone.push_back(id);
    }
    const bool first = !ready_;
    std::vector<const tasks::Task*> updated;
    for (auto& [id, t] : fresh) {
      auto old = tasks_.find(id);
      if (old == tasks_.end() || old->second.revision != t.revision) updated.push_back(&t);
    }
    tasks_.swap(fresh);
    if (first) {
      known_from_ = batch.revision;
    } else {
      for (const std::string& id : gone) removals_.emplace_back(id, batch.revision);
    }
    ready_ = true;
    revision_ = batch.revision;
    if (!first) {
      for (const std::string& id : gone) changed(id, nullptr, batch.revision);
      for (const tasks::Task* t : updated) changed(t->id, t, t->revision);
    }
  } else {
    for (auto& e : batch.events) {
      if (e.task) {
        auto it = tasks_.find(e.id);
        if (it != tasks_.end() && it->second.revision >= e.revision) continue;  // seen
        tasks::Task& t = tasks_[e.id];
        t = std::move(*e.task);
        changed(e.id, &t, e.revision);
      } else {
        if (tasks_.erase(e.id) == 0) continue;
        removals_.emplace_back(e.id, e.revision);
        changed(e.id, nullptr, e.revision);
      }
    }
    revision_ = std::max(revision_, batch.revision);
  }
  while (removals_.size() > kRemovalsKept) {
    known_from_ = std::max(known_from_, removals_.front().second);
    removals_.pop_front();
  }
  each([&](TaskClient& c) { c.answered(batch.asked); });
}

void TaskBoard::tick(int64_t now) {
  each([&](TaskClient& c) { c.tick(now); });
}

// --- TaskQuery ---

bool TaskQuery::describe(const tasks::Task& t, std::string* entry, uint64_t* hash) const {
  if (!owner.empty() && t.user_id != owner) return false;
  const std::string json = tasks::to_json(t);
  const std::string href = "/rest/v0/tasks/" + t.id;
  if (!options.has_fields && !filter) {
    *entry = json_string(href);
    *hash = hash_text(json);
    return true;
  }
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (matcher) {
    if (!spend->error().is_ok()) return false;
    const bool pass = (*matcher)(RapidJsonView(&doc));
    if (!spend->after_test() || !pass) return false;
  } else if (!passes(filter, doc)) {
    return false;
  }
  if (!options.has_fields) {
    *entry = json_string(href);
    *hash = hash_text(json);
    return true;
  }
  *entry = project_object(doc, options, href);
  *hash = hash_text(*entry);
  return true;
}

void TaskQuery::limit(FilterLimits limits) {
  if (!filter) return;
  spend = std::make_shared<FilterSpend>(limits);
  matcher = std::make_shared<filter::Filter::Matcher<RapidJsonView>>(*filter, spend->match());
}

std::string TaskQuery::remove_entry(const std::string& id) const {
  const std::string href = json_string("/rest/v0/tasks/" + id);
  return options.has_fields ? "{\"href\":" + href + "}" : href;
}

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

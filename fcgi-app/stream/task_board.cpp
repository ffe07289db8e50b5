#include "stream/task_board.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <functional>

#include "routes/http_errors.h"
#include "routes/json_text.h"
#include "stream/watch.h"

namespace xr::app {

namespace {

constexpr size_t kRemovalsKept = 16384;  // removals remembered for `since`

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

}  // namespace xr::app

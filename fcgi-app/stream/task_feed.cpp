#include "stream/task_feed.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "base/futex.h"
#include "base/log.h"
#include "store/open.h"
#include "tasks/task_store.h"

namespace xr::app {

namespace {
const log::Logger kLog("stream");
constexpr int kIdleWaitMs = 1000;   // a missed wake-up costs at most this
constexpr int kRetryMs = 1000;      // after a database error
constexpr int kAgainMs = 2;         // after a cut read (a writer committed between its reads)
}  // namespace

FutexTaskWakeup::FutexTaskWakeup(cache::layout::ControlBlock* control) : control_(control) {}

void FutexTaskWakeup::wait(int timeout_ms) {
  if (first_) {
    first_ = false;
    seen_ = control_->tasks_changed.load();
    return;
  }
  if (control_->tasks_changed.load() == seen_) futex_wait(&control_->tasks_changed, seen_, timeout_ms);
  seen_ = control_->tasks_changed.load();
}

// A bump, not a bare wake: a wake-up sent before the waiter sleeps is not lost.
void FutexTaskWakeup::interrupt() { futex_bump(&control_->tasks_changed); }

TaskFeed::TaskFeed(const config::Config& config, std::unique_ptr<tasks::TaskWakeup> wakeup, int event_fd)
    : config_(config), wakeup_(std::move(wakeup)), event_fd_(event_fd) {
  thread_ = std::thread([this] { run(); });
}

TaskFeed::~TaskFeed() {
  stop_ = true;
  wakeup_->interrupt();
  thread_.join();
}

uint64_t TaskFeed::ask() {
  const uint64_t n = asks_.fetch_add(1) + 1;
  wakeup_->interrupt();
  return n;
}

void TaskFeed::remove(std::string id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    removals_.push_back(std::move(id));
  }
  wakeup_->interrupt();
}

std::vector<TaskBatch> TaskFeed::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(queue_);
}

void TaskFeed::post(TaskBatch batch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(batch));
  }
  const uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof one);
}

void TaskFeed::run() {
  sigset_t signals;
  sigfillset(&signals);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<store::Db> db;
  std::unique_ptr<tasks::TaskStore> store;
  int64_t cursor = -1;  // -1: (re)load everything
  uint64_t answered = 0;
  bool again = false;  // the last read was cut: read again at once
  while (!stop_) {
    wakeup_->wait(again ? kAgainMs : cursor < 0 ? kRetryMs : kIdleWaitMs);
    again = false;
    if (stop_) break;
    if (!store) {
      auto d = store::open(config_);
      auto s = d.is_ok() ? tasks::TaskStore::open(**d, nullptr, config_.tasks_gc_keep)
                         : Result<std::unique_ptr<tasks::TaskStore>>(d.status());
      if (!s.is_ok()) {
        kLog.warn("task feed: cannot open the task store: " + s.status().to_string());
        continue;
      }
      db = std::move(*d);
      store = std::move(*s);
    }
    std::vector<std::string> removals;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      removals.swap(removals_);
    }
    for (const std::string& id : removals) {
      Status s = store->remove(id);
      if (!s.is_ok() && s.kind() != ErrorKind::kNotFound) kLog.warn("task feed: deleting " + id + ": " + s.to_string());
    }
    TaskBatch batch;
    batch.asked = asks_.load();
    if (cursor < 0) {
      auto rev = store->revision();
      auto all = rev.is_ok() ? store->list() : Result<std::vector<tasks::Task>>(rev.status());
      if (!all.is_ok()) {
        kLog.warn("task feed: " + all.status().to_string());
        continue;
      }
      batch.reload = true;
      batch.revision = *rev;
      for (tasks::Task& t : *all) {
        const int64_t r = t.revision;
        std::string id = t.id;
        batch.events.push_back({r, std::move(id), std::move(t)});
      }
    } else {
      auto changes = store->changes_since(cursor);
      if (!changes.is_ok()) {
        kLog.warn("task feed: " + changes.status().to_string());
        cursor = -1;  // read everything again once the store answers
        continue;
      }
      batch.revision = changes->revision;
      // Rows changed after the revision was read come again in the next batch: cut here so
      // that the loop sees revisions in order. A cut batch lacks those rows' earlier state
      // (a task created, then changed between the two reads, is not in it at all): it answers
      // no ask (a wait would take the task for unknown, a watch would start without it); the
      // next read, made at once, does.
      bool cut = false;
      for (tasks::Task& t : changes->updated) {
        if (t.revision > batch.revision) {
          cut = true;
          continue;
        }
        const int64_t r = t.revision;
        std::string id = t.id;
        batch.events.push_back({r, std::move(id), std::move(t)});
      }
      for (size_t i = 0; i < changes->removed.size(); ++i) {
        if (changes->removed_at[i] > batch.revision) {
          cut = true;
          continue;
        }
        batch.events.push_back({changes->removed_at[i], changes->removed[i], std::nullopt});
      }
      if (cut) {
        batch.asked = answered;
        again = true;
      }
      std::stable_sort(batch.events.begin(), batch.events.end(),
                       [](const TaskBatch::Event& a, const TaskBatch::Event& b) { return a.revision < b.revision; });
      if (batch.events.empty() && batch.asked == answered && batch.revision == cursor) continue;
    }
    cursor = batch.revision;
    answered = batch.asked;
    post(std::move(batch));
  }
}

}  // namespace xr::app

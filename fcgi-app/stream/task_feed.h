// The stream role's view of the XO task store: one thread that follows lib/tasks
// (TaskStore::changes_since after each wake-up of a tasks::TaskWakeup) and hands batches to
// the event loop through a queue and an eventfd, so the loop never touches the database.
// The first batch is every task (`reload`); later ones are the changes after the previous
// batch's revision, cut at that batch's revision so that revisions reach the loop in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cache/layout.h"
#include "config/config.h"
#include "tasks/task.h"
#include "tasks/task_wakeup.h"

namespace xr::app {

struct TaskBatch {
  bool reload = false;   // `updated` is every task (the feed's first read, or after an error)
  int64_t revision = 0;  // the store's revision this batch brings the reader to
  uint64_t asked = 0;    // every ask() numbered up to this one was made before the read
  // Changes in revision order; `task` empty for a removal of `id`.
  struct Event {
    int64_t revision = 0;
    std::string id;
    std::optional<tasks::Task> task;
  };
  std::vector<Event> events;
};

// ControlBlock.tasks_changed as a TaskWakeup (this node's processes).
class FutexTaskWakeup : public tasks::TaskWakeup {
 public:
  explicit FutexTaskWakeup(cache::layout::ControlBlock* control);
  void wait(int timeout_ms) override;
  void interrupt() override;

 private:
  cache::layout::ControlBlock* control_;
  uint32_t seen_ = 0;
  bool first_ = true;
};

class TaskFeed {
 public:
  // Starts the thread; `event_fd` is written after each batch is queued.
  TaskFeed(const config::Config& config, std::unique_ptr<tasks::TaskWakeup> wakeup, int event_fd);
  ~TaskFeed();
  TaskFeed(const TaskFeed&) = delete;
  TaskFeed& operator=(const TaskFeed&) = delete;

  // Asks for a read of the store now; returns its number (a batch with asked >= it answers).
  uint64_t ask();
  // Deletes task `id` (a pending one a worker asked to delete, once it ended); the removal
  // comes back in a batch like any other.
  void remove(std::string id);
  // The batches queued since the last call (loop thread).
  std::vector<TaskBatch> take();

 private:
  void run();
  void post(TaskBatch batch);

  const config::Config& config_;
  std::unique_ptr<tasks::TaskWakeup> wakeup_;
  int event_fd_;
  std::atomic<uint64_t> asks_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<TaskBatch> queue_;
  std::vector<std::string> removals_;  // under mutex_
  std::thread thread_;
};

}  // namespace xr::app

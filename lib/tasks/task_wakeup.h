// How a process learns that XO tasks may have changed, for the one thread that follows the
// task store (the stream role's task feed). Today: the ControlBlock's `tasks_changed` futex
// (every process of this node; fcgi-app/stream/task_feed.h). A store shared by several nodes
// implements this with its own notifications (e.g. PostgreSQL LISTEN/NOTIFY) instead; the
// follower re-reads `TaskStore::changes_since` after each wake-up, so a spurious wake-up
// costs one read and a missed one is bounded by the timeout.
#pragma once

namespace xr::tasks {

class TaskWakeup {
 public:
  virtual ~TaskWakeup() = default;
  // Blocks until tasks may have changed since the previous call returned, interrupt() was
  // called, or timeout_ms passed. The first call returns at once.
  virtual void wait(int timeout_ms) = 0;
  // Makes the current or next wait() return now (any thread).
  virtual void interrupt() = 0;
};

}  // namespace xr::tasks

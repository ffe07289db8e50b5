// The futex words of ControlBlock (lib/cache/layout.h) as lib/tasks' ChangeNotifier: a
// committed task change bumps tasks_changed, a queued job bumps jobs_queued, each waking its
// waiters in every process. Any thread of a process that maps the segment.
#pragma once

#include "base/futex.h"
#include "cache/layout.h"
#include "tasks/task_store.h"

namespace xr::app {

class TaskSignals : public tasks::ChangeNotifier {
 public:
  explicit TaskSignals(cache::layout::ControlBlock* control) : control_(control) {}
  void tasks_changed() override { futex_bump(&control_->tasks_changed); }
  void job_queued() override { futex_bump(&control_->jobs_queued); }
  cache::layout::ControlBlock* control() const { return control_; }

 private:
  cache::layout::ControlBlock* control_;
};

}  // namespace xr::app

#include "routes/task_wait.h"

#include <rapidjson/document.h>

#include <atomic>

#include "base/futex.h"
#include "worker/task_signals.h"

namespace xr::app {

namespace {

constexpr int64_t kRecheckMs = 500;  // how soon a client that left is noticed

std::atomic<int> g_waiters{0};  // requests of this process waiting now

struct WaiterSlot {
  WaiterSlot() { g_waiters.fetch_add(1); }
  ~WaiterSlot() { g_waiters.fetch_sub(1); }
};

}  // namespace

Result<tasks::Task> wait_for_task(Context& ctx, const std::string& id,
                                  const std::function<bool(const tasks::Task&)>& done) {
  if (ctx.svc.tasks == nullptr || ctx.svc.task_signals == nullptr) {
    return Status(ErrorKind::kUnavailable, "tasks cannot be waited for here");
  }
  const int limit = std::max<int>(1, static_cast<int>(ctx.svc.config.threads / 2));
  if (g_waiters.load() >= limit) {
    return Status(ErrorKind::kUnavailable, "too many requests are waiting for tasks; retry later");
  }
  WaiterSlot slot;
  const std::atomic<uint32_t>* word = &ctx.svc.task_signals->control()->tasks_changed;
  for (;;) {
    const uint32_t seen = word->load();
    XR_ASSIGN_OR_RETURN(tasks::Task t, ctx.svc.tasks->get(id));
    if (done(t)) return t;
    if (ctx.res.client_gone()) return Status(ErrorKind::kCancelled, "the client went away");
    futex_wait(word, seen, kRecheckMs);
  }
}

Status task_failure(const tasks::Task& task) {
  rapidjson::Document r;
  const std::string text = task.result.value_or("{}");
  r.Parse(text.c_str(), text.size());
  std::string message = "task " + std::string(tasks::status_name(task.status));
  if (r.IsObject() && r.HasMember("message") && r["message"].IsString()) message = r["message"].GetString();
  if (r.IsObject() && r.HasMember("code") && r["code"].IsString()) {
    std::vector<std::string> params;
    if (r.HasMember("params") && r["params"].IsArray()) {
      for (const auto& p : r["params"].GetArray()) params.push_back(p.IsString() ? p.GetString() : "");
    }
    return Status::xapi(r["code"].GetString(), std::move(params));
  }
  return Status(ErrorKind::kInternal, message);
}

}  // namespace xr::app

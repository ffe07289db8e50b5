#include "runner/job.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <cstring>
#include <memory>

#include "actions/action.h"
#include "base/log.h"
#include "poller/session_options.h"
#include "store/open.h"
#include "xapi/http_transfer.h"
#include "xapi/task_waiter.h"

namespace xr::app {

namespace {

const log::Logger kLog("runner");

std::string member(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// The XO task's result for a failure: XAPI's code and params kept, message as XO's
// XapiError writes it ("CODE(p1, p2)").
std::string failure_json(const Status& s) {
  if (s.kind() != ErrorKind::kXapi) return tasks::error_json(s.message());
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartArray();
  std::string message = s.code() + "(";
  for (size_t i = 0; i < s.params().size(); ++i) {
    w.String(s.params()[i].c_str());
    message += (i ? ", " : "") + s.params()[i];
  }
  w.EndArray();
  message += ")";
  const std::string params(b.GetString(), b.GetSize());
  return tasks::error_json(message, s.code(), &params);
}

constexpr auto kCacheWait = std::chrono::seconds(5);
constexpr auto kProgressEvery = std::chrono::milliseconds(200);

class JobRun : public actions::ActionRun {
 public:
  JobRun(JobShared& shared, tasks::TaskStore& store, const tasks::Task& task, const rapidjson::Value& job)
      : shared_(shared), store_(store), task_(task) {
    object_id_ = member(job, "objectId");
    object_ref_ = member(job, "ref");
    pool_ = member(job, "pool");
    auto p = job.FindMember("params");
    if (p != job.MemberEnd() && p->value.IsObject()) {
      params_.CopyFrom(p->value, params_.GetAllocator());
    } else {
      params_.SetObject();
    }
  }

  const std::string& object_id() const override { return object_id_; }
  const std::string& object_ref() const override { return object_ref_; }
  const rapidjson::Value& params() const override { return params_; }

  Result<xapi::Value> call(std::string_view method, std::vector<xapi::Value> args) override {
    XR_ASSIGN_OR_RETURN(xapi::Session * s, shared_.session(pool_));
    return s->call(method, std::move(args));
  }

  Result<xapi::Value> call_async(std::string_view method, std::vector<xapi::Value> args) override {
    XR_ASSIGN_OR_RETURN(xapi::Session * s, shared_.session(pool_));
    XR_ASSIGN_OR_RETURN(std::string ref, s->call_async(method, std::move(args)));
    shared_.set_xapi_task(task_.id, pool_, ref);
    // An abort that came before the XAPI task existed cancels it now.
    if (auto t = store_.get(task_.id); t.is_ok() && t->abortion_requested_at) shared_.cancel(task_.id);
    xapi::TaskWaitOptions options;
    options.on_progress = [this](double p) {
      // At most one write per kProgressEvery: a short task's steps are not worth a
      // transaction and a wake-up of every waiter each.
      const int64_t percent = std::lround(std::clamp(p, 0.0, 1.0) * 100);
      const auto now = std::chrono::steady_clock::now();
      if (percent == last_progress_ || now - last_write_ < kProgressEvery) return;
      last_progress_ = percent;
      last_write_ = now;
      (void)store_.set_progress(task_.id, percent);  // progress is best effort
    };
    Result<xapi::Value> r = xapi::wait_task(*s, ref, options);
    shared_.clear_xapi_task(task_.id);
    finished_.push_back(ref);  // destroyed once the XO task is finished (off the answer's path)
    return r;
  }

  Result<xapi::Value> upload(std::string_view path, const xapi::Query& query, std::string bytes) override {
    XR_ASSIGN_OR_RETURN(xapi::Session * s, shared_.session(pool_));
    auto data = std::make_shared<std::string>(std::move(bytes));
    auto offset = std::make_shared<size_t>(0);
    xapi::UploadSource source;
    source.size = static_cast<int64_t>(data->size());
    source.read = [data, offset](char* buf, size_t n) -> Result<size_t> {
      const size_t k = std::min(n, data->size() - *offset);
      std::memcpy(buf, data->data() + *offset, k);
      *offset += k;
      return k;
    };
    xapi::TransferOptions options;
    options.task_label = "xapi-rest: " + task_.id;
    XR_ASSIGN_OR_RETURN(xapi::TransferResult r, xapi::upload(*s, path, query, std::move(source), options));
    return r.task_result;
  }

  // Destroys the XAPI tasks this job followed (as XO's client: finished tasks are not left
  // behind); called after the XO task is finished, so that no waiter waits for it.
  void destroy_finished_tasks() {
    auto s = shared_.session(pool_);
    if (!s.is_ok()) return;
    for (const std::string& ref : finished_) (void)xapi::destroy_task(**s, ref);
    finished_.clear();
  }

  Status info(std::string_view message, std::string_view data_json) override {
    return store_.add_info(task_.id, message, data_json).status();
  }
  Status warning(std::string_view message, std::string_view data_json) override {
    return store_.add_warning(task_.id, message, data_json).status();
  }
  Status set_progress(int64_t percent) override {
    last_progress_ = percent;
    return store_.set_progress(task_.id, percent).status();
  }
  Result<size_t> begin_step(std::string_view name, std::string_view properties_json = {}) override {
    return store_.begin_subtask(task_.id, name, properties_json);
  }
  Status end_step(size_t index, const Status& outcome) override {
    return store_
        .end_subtask(task_.id, index, outcome.is_ok() ? tasks::TaskStatus::kSuccess : tasks::TaskStatus::kFailure,
                     outcome.is_ok() ? std::string() : failure_json(outcome))
        .status();
  }
  bool abort_requested() override {
    auto t = store_.get(task_.id);
    return t.is_ok() && t->abortion_requested_at.has_value();
  }

  std::vector<std::string> other_pools() const override {
    std::vector<std::string> out;
    for (const auto& p : shared_.config().pools) {
      if (p.name != pool_) out.push_back(p.name);
    }
    return out;
  }

  Result<xapi::Value> call_in(const std::string& pool, std::string_view method,
                              std::vector<xapi::Value> args) override {
    XR_ASSIGN_OR_RETURN(xapi::Session * s, shared_.session(pool));
    return s->call(method, std::move(args));
  }

  Status import_raw_vdi(const std::string& vdi_ref, std::string bytes) override {
    XR_ASSIGN_OR_RETURN(xapi::Session * s, shared_.session(pool_));
    size_t at = 0;
    xapi::UploadSource source;
    source.size = static_cast<int64_t>(bytes.size());
    source.read = [&](char* buf, size_t n) -> Result<size_t> {
      const size_t k = std::min(n, bytes.size() - at);
      std::memcpy(buf, bytes.data() + at, k);
      at += k;
      return k;
    };
    xapi::TransferOptions options;
    options.task_label = "xapi-rest: config drive";
    return xapi::upload(*s, "/import_raw_vdi", {{"vdi", vdi_ref}, {"format", "raw"}}, std::move(source), options)
        .status();
  }

 private:
  JobShared& shared_;
  tasks::TaskStore& store_;
  const tasks::Task& task_;
  std::string object_id_, object_ref_, pool_;
  rapidjson::Document params_;
  int64_t last_progress_ = -1;
  std::vector<std::string> finished_;
  // The first progress is written after kProgressEvery too.
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
};


// Waits (at most kCacheWait) until the poller has put object `id` of `collection` in the
// cache: as XO's client waits for a new object's record, so that the answer's Location can be
// read at once. A timeout is only logged: the object exists in XAPI.
void wait_in_cache(const JobShared& shared, std::string_view collection, std::string_view id) {
  if (shared.cache() == nullptr || id.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + kCacheWait;
  std::string scratch;
  while (std::chrono::steady_clock::now() < deadline) {
    auto found = shared.cache()->visit(collection, id, scratch, [](const cache::ObjectView&, std::string&) {});
    if (found.is_ok() && *found) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kLog.warn("new object " + std::string(id) + " not in the cache after 5 s");
}

Result<std::string> execute(JobShared& shared, const tasks::Task& task, const rapidjson::Document& job,
                            JobRun& run) {
  if (!job.IsObject()) return Status(ErrorKind::kInternal, "unreadable job");
  const actions::ActionSpec* spec = actions::find_action(member(job, "collection"), member(job, "action"));
  if (spec == nullptr) return Status(ErrorKind::kInternal, "unknown action " + member(job, "action"));
  if (task.abortion_requested_at) return Status(ErrorKind::kCancelled, "aborted before it started");
  XR_ASSIGN_OR_RETURN(std::string result, spec->execute(run));
  // XO's task result is an object (its schema: Record<string, unknown>): a new object is
  // {"id": "<uuid>"}.
  if (spec->returns == actions::Returns::kNewObject && !result.empty()) {
    rapidjson::Document id;
    id.Parse(result.c_str(), result.size());
    if (id.IsString()) wait_in_cache(shared, spec->created_collection, id.GetString());
    result = "{\"id\":" + result + "}";
  }
  return result;
}

}  // namespace

Result<xapi::Session*> JobShared::session(const std::string& pool) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(pool);
  if (it != sessions_.end()) return it->second.get();
  for (const auto& p : config_.pools) {
    if (p.name == pool) {
      auto s = std::make_unique<xapi::Session>(session_options(p));
      return sessions_.emplace(pool, std::move(s)).first->second.get();
    }
  }
  return Status(ErrorKind::kNotFound, "no configured pool " + pool);
}

void JobShared::set_xapi_task(const std::string& task_id, const std::string& pool, const std::string& ref) {
  std::lock_guard lock(mu_);
  waiting_[task_id] = {pool, ref};
}

void JobShared::clear_xapi_task(const std::string& task_id) {
  std::lock_guard lock(mu_);
  waiting_.erase(task_id);
  cancelled_.erase(task_id);
}

bool JobShared::cancelled(const std::string& task_id) {
  std::lock_guard lock(mu_);
  return cancelled_.count(task_id) != 0;
}

bool JobShared::cancel(const std::string& task_id) {
  Waiting w;
  {
    std::lock_guard lock(mu_);
    if (cancelled_.count(task_id) != 0) return true;
    auto it = waiting_.find(task_id);
    if (it == waiting_.end()) return false;
    w = it->second;
    cancelled_.insert(task_id);
  }
  auto s = session(w.pool);
  if (!s.is_ok()) return false;
  Status st = xapi::cancel_task(**s, w.ref);
  if (!st.is_ok()) kLog.warn("cancelling a XAPI task: " + st.to_string());
  return true;
}

Result<std::unique_ptr<store::Db>> JobShared::take_db() {
  {
    std::lock_guard lock(mu_);
    if (!dbs_.empty()) {
      auto db = std::move(dbs_.back());
      dbs_.pop_back();
      return db;
    }
  }
  return store::open(config_);
}

void JobShared::give_back_db(std::unique_ptr<store::Db> db) {
  std::lock_guard lock(mu_);
  dbs_.push_back(std::move(db));
}

void run_job(JobShared& shared, const tasks::Task& task) {
  auto db = shared.take_db();
  if (!db.is_ok()) {
    kLog.error("job " + task.id + ": cannot open the database: " + db.status().to_string());
    return;  // the task stays running; the next runner start interrupts it
  }
  auto store = tasks::TaskStore::open(**db, shared.notifier(), shared.config().tasks_gc_keep);
  if (!store.is_ok()) {
    kLog.error("job " + task.id + ": cannot open the task store: " + store.status().to_string());
    return;
  }
  rapidjson::Document job;
  job.Parse(task.job.c_str());
  if (job.HasParseError() || !job.IsObject()) job.SetObject();
  JobRun run(shared, **store, task, job);
  Result<std::string> r = execute(shared, task, job, run);
  Status done = r.is_ok() ? (*store)->finish(task.id, tasks::TaskStatus::kSuccess, *r).status()
                          : (*store)->finish(task.id, tasks::TaskStatus::kFailure, failure_json(r.status())).status();
  if (!done.is_ok()) kLog.error("job " + task.id + ": cannot record its outcome: " + done.to_string());
  run.destroy_finished_tasks();
  store->reset();
  shared.give_back_db(std::move(*db));
}

}  // namespace xr::app

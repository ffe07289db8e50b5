#include "transfer/transfer_common.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "base/log.h"
#include "routes/collection_routes.h"
#include "tasks/task.h"
#include "tasks/task_store.h"
#include "routes/http_errors.h"
#include "transfer/transfer_sessions.h"
#include "worker/cache_access.h"

namespace xr::app {
namespace {

std::string member(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

uint64_t number(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsNumber()) return 0;
  double d = it->value.GetDouble();
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

}  // namespace

Result<TransferTarget> load_target(Context& ctx, std::string_view collection, std::string_view id) {
  std::string json;
  XR_RETURN_IF_ERROR(load_object(ctx, collection, id, &json));
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return Status(ErrorKind::kInternal, "unreadable cached object");
  TransferTarget t;
  t.ref = member(d, "_xapiRef");
  t.uuid = member(d, "uuid");
  if (t.uuid.empty()) t.uuid = member(d, "id");
  t.type = member(d, "type");
  t.name_label = member(d, "name_label");
  t.power_state = member(d, "power_state");
  t.size = number(d, "size");
  t.default_sr = member(d, "default_SR");
  t.pool_id = member(d, "$pool");
  for (const auto& st : ctx.svc.cache->reader().pool_statuses()) {
    if (st.pool_id == t.pool_id) t.pool = st.key;
  }
  if (t.pool.empty())
    return Status(ErrorKind::kTransport, "the pool " + t.pool_id + " is not connected");
  if (t.ref.empty()) return Status(ErrorKind::kInternal, "cached object without _xapiRef");
  return t;
}

Result<xapi::Session*> transfer_session(Context& ctx, const TransferTarget& target) {
  if (ctx.svc.transfers == nullptr)
    return Status(ErrorKind::kInternal, "no transfer sessions in this process");
  return ctx.svc.transfers->session(target.pool);
}

Result<transfer::Slot> admit_transfer(Context& ctx) {
  const auto& c = ctx.svc.config;
  transfer::SlotTable table(c.data_dir, static_cast<int>(c.transfer_max_concurrent));
  XR_ASSIGN_OR_RETURN(std::optional<transfer::Slot> slot, table.try_acquire());
  if (!slot) {
    ctx.res.add_header("Retry-After", "10");
    return Status(ErrorKind::kUnavailable,
                  "too many transfers at once (" + std::to_string(c.transfer_max_concurrent) +
                      "); try again later");
  }
  return std::move(*slot);
}

Status invalid_parameter(std::string_view name, std::string_view message, std::string_view value) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  FieldErrors e;
  e.add(name, message, std::string_view(b.GetString(), b.GetSize()));
  return e.status();
}

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string json_string(std::string_view text) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(b.GetString(), b.GetSize());
}

const log::Logger kTaskLog("transfer");

}  // namespace

TransferTask::TransferTask(Context& ctx, std::string name, std::string_view object_type,
                           std::string_view object_id) {
  if (ctx.svc.tasks == nullptr) return;
  tasks::NewTask t;
  t.user_id = ctx.user ? ctx.user->id : "";
  t.properties = "{\"name\":" + json_string(name) + ",\"objectType\":" + json_string(object_type) +
                 ",\"objectId\":" + json_string(object_id) + ",\"type\":\"xo:rest-api:transfer\"" +
                 (ctx.user ? ",\"userId\":" + json_string(ctx.user->id) : std::string()) + "}";
  auto created = ctx.svc.tasks->create(t);
  if (!created.is_ok()) {
    kTaskLog.warn("no XO task for a transfer: " + created.status().to_string());
    return;
  }
  store_ = ctx.svc.tasks;
  id_ = created->id;
}

TransferTask::~TransferTask() {
  if (!finished_) finish(Status(ErrorKind::kCancelled, "the transfer ended without an outcome"));
}

Status TransferTask::progress(uint64_t done, uint64_t total) {
  if (store_ == nullptr || total == 0) return Status::ok();
  int64_t percent = static_cast<int64_t>(done * 100 / total);
  if (percent > 100) percent = 100;
  const int64_t now = now_ms();
  if (percent == last_percent_ || (now - last_write_ms_ < 1000 && percent < 100)) return Status::ok();
  last_percent_ = percent;
  last_write_ms_ = now;
  auto t = store_->set_progress(id_, percent);
  if (t.is_ok() && t->abortion_requested_at) return Status(ErrorKind::kCancelled, "aborted on request");
  return Status::ok();
}

void TransferTask::finish(const Status& outcome, std::string_view result_json) {
  if (store_ == nullptr || finished_) return;
  finished_ = true;
  if (outcome.is_ok()) (void)store_->set_progress(id_, 100);
  auto r = outcome.is_ok()
               ? store_->finish(id_, tasks::TaskStatus::kSuccess, result_json)
               : store_->finish(id_, tasks::TaskStatus::kFailure,
                                tasks::error_json(outcome.kind() == ErrorKind::kXapi ? outcome.code()
                                                                                     : outcome.message(),
                                                  outcome.code()));
  if (!r.is_ok()) kTaskLog.warn("XO task " + id_ + " not finished: " + r.status().to_string());
}

void BodyStream::start() {
  started_ = true;
  res_.set_status(status_);
  res_.set_content_type("application/octet-stream");
  for (const auto& [k, v] : headers_) {
    if (k == "Content-Type")
      res_.set_content_type(v);
    else
      res_.add_header(k, v);
  }
}

bool BodyStream::write(std::string_view chunk) {
  if (gone_) return false;
  if (!started_) start();
  if (!res_.write(chunk)) {
    gone_ = true;
    return false;
  }
  bytes_ += chunk.size();
  return true;
}

void BodyStream::finish() {
  if (!started_) start();
  if (!res_.finish()) gone_ = true;
}

}  // namespace xr::app

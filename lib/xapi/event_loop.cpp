#include "xapi/event_loop.h"

#include <chrono>
#include <optional>
#include <random>

#include "base/log.h"
#include "xapi/event_spool.h"

namespace xr::xapi {
namespace {

constexpr log::Logger kLog("xapi.events");

bool needs_resync(const Status& s) {
  if (s.kind() != ErrorKind::kXapi) return false;
  return s.code() == "SESSION_INVALID" || s.code() == "EVENTS_LOST" ||
         s.code() == "EVENT_FROM_TOKEN_PARSE_FAILURE" || s.code() == "SESSION_NOT_REGISTERED";
}

bool is_login_refusal(const Status& s) {
  return s.kind() == ErrorKind::kXapi && (s.code() == "SESSION_AUTHENTICATION_FAILED" ||
                                          s.code() == "SESSION_AUTHORIZATION_FAILED");
}

}  // namespace

Result<Event> event_from_value(Value&& v) {
  Value::Struct* members = v.mutable_struct();
  if (!members) return Status(ErrorKind::kProtocol, "event is not a struct");
  Event ev;
  for (Member& m : *members) {
    if (m.name == "snapshot") {
      ev.snapshot = std::move(m.value);
      continue;
    }
    auto text = m.value.as_string();
    if (!text.is_ok()) continue;
    if (m.name == "class")
      ev.cls = std::string(*text);
    else if (m.name == "operation")
      ev.operation = std::string(*text);
    else if (m.name == "ref")
      ev.ref = std::string(*text);
  }
  if (ev.cls.empty() || ev.ref.empty() || ev.operation.empty())
    return Status(ErrorKind::kProtocol, "event without class, ref or operation");
  return ev;
}

EventLoop::EventLoop(Session& session, EventLoopOptions options, Consumer consumer)
    : session_(session), options_(std::move(options)), consumer_(std::move(consumer)) {}

Value EventLoop::class_list() const {
  Value::Array items;
  for (const std::string& c : options_.classes) items.push_back(Value::string(c));
  return Value::array(std::move(items));
}

namespace {
int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Status EventLoop::fetch(bool full, bool poll) {
  EventBatch batch;
  batch.full_resync = full;
  if (full && options_.spool_full_resync) batch.spool = std::make_shared<EventSpool>();
  CallOptions call;
  call.limits = options_.limits;
  call.cancel = &stop_;
  double wait_s = full || poll ? 0.0 : options_.event_timeout_s;
  call.timeout_ms = static_cast<long>(wait_s * 1000) + 30'000;
  if (full) {
    // A whole pool's dump takes as long as it takes (100,000 VMs: 1.4 GB, 18-45 s from the
    // simulator alone); it is bounded by its flow instead: 30 s without a byte ends it.
    call.timeout_ms = -1;
    call.low_speed_time_s = 30;
  }
  // A spooled dump is encoded straight from the JSON parser's events (no Values built).
  std::optional<EventSpool::SaxEncoder> encoder;
  if (batch.spool) encoder.emplace(*batch.spool, full ? "del" : "");
  call.stream = StreamSpec{"events", [&](Value&& v) {
                             Result<Event> ev = event_from_value(std::move(v));
                             if (!ev.is_ok()) return ev.status();
                             if (full && ev->operation == "del") return Status::ok();
                             if (batch.spool)
                               batch.spool->add(std::move(ev).value());
                             else
                               batch.events.push_back(std::move(ev).value());
                             return Status::ok();
                           },
                           encoder ? &*encoder : nullptr};
  uint64_t generation_before = session_.generation();
  waiting_since_ms_ = steady_ms();
  Result<Value> r = session_.call(
      "event.from", {class_list(), Value::string(full ? "" : token_), Value::real(wait_s)}, call);
  waiting_since_ms_ = 0;
  last_ok_ = r.is_ok();
  if (r.is_ok()) {
    answered_unix_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  }
  if (!r.is_ok()) return r.status();
  if (session_.generation() != generation_before || session_.generation() != generation_) {
    // The call logged in again (restarted server, expired session): our token belongs to
    // the old session's world, so start over with a full resync.
    generation_ = session_.generation();
    return Status::xapi("SESSION_INVALID", {"re-login during event.from"});
  }
  std::string_view token = r->get_string("token");
  if (token.empty()) return Status(ErrorKind::kProtocol, "event.from without token");
  token_ = std::string(token);
  batch.token = token_;
  if (full || !batch.events.empty()) consumer_(std::move(batch));
  return Status::ok();
}

void EventLoop::backoff(long* delay_ms) {
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<long> jitter(*delay_ms / 2, *delay_ms);
  long sleep_ms = jitter(rng);
  *delay_ms = std::min(*delay_ms * 2, options_.max_backoff_ms);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(sleep_ms), [&] { return stop_.load() || woken_.load(); });
  woken_ = false;
}

void EventLoop::wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

Status EventLoop::run() {
  bool full = true;
  int consecutive = 0;
  long delay_ms = options_.min_backoff_ms;
  while (!stop_.load()) {
    Status s;
    if (full) {
      s = session_.credentials().status();
      if (is_login_refusal(s)) return s;
      generation_ = session_.generation();
    }
    if (s.is_ok()) s = fetch(full, consecutive > 0);
    if (s.is_ok()) {
      if (full) resyncs_.fetch_add(1);
      full = false;
      consecutive = 0;
      delay_ms = options_.min_backoff_ms;
      continue;
    }
    if (stop_.load() || s.kind() == ErrorKind::kCancelled) break;
    {
      std::lock_guard lock(mu_);
      last_error_ = s.to_string();
    }
    failures_.fetch_add(1);
    ++consecutive;
    if (needs_resync(s) || s.kind() == ErrorKind::kProtocol) {
      kLog.info("event stream: " + s.to_string() + "; full resync");
      full = true;
      if (consecutive == 1) continue;  // first time: resync at once
    } else {
      kLog.warn("event stream: " + s.to_string() + "; retrying with the same token");
    }
    backoff(&delay_ms);
  }
  return Status::ok();
}

void EventLoop::stop() {
  stop_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

}  // namespace xr::xapi

#include "stream/sse.h"

#include <array>
#include <chrono>
#include <unordered_map>
#include <utility>

#include "live/follower.h"
#include "routes/json_text.h"
#include "stream/task_board.h"

namespace xr::app {

namespace {

constexpr int64_t kPingMs = 30'000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The frame data of a view event: the entry without its trailing "href" member, plus
// "$subscription"; a remove is {"id", "$subscription"} (the object is gone from the cache).
std::string sse_data(const WatchEvent& e, std::string_view type) {
  const std::string sub = "\"$subscription\":" + json_string(type) + "}";
  if (e.remove) return "{\"id\":" + json_string(e.id) + "," + sub;
  const size_t href = e.entry.rfind("\"href\":\"");
  if (href == std::string::npos) return e.entry;
  return e.entry.substr(0, href) + sub;
}

}  // namespace

std::optional<SseResume> parse_sse_resume(std::string_view text) {
  SseResume r;
  const size_t tilde = text.find('~');
  if (tilde != std::string_view::npos) {
    r.cache = live::parse_revision(text.substr(0, tilde));
    r.task = parse_task_revision(text.substr(tilde + 1));
    if (!r.cache || !r.task) return std::nullopt;
  } else if (!(r.cache = live::parse_revision(text)) && !(r.task = parse_task_revision(text))) {
    return std::nullopt;
  }
  return r;
}

std::string_view sse_collection(std::string_view type) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kTypes = {{
      {"pool", "pools"}, {"host", "hosts"}, {"VM", "vms"}, {"VM-template", "vm-templates"},
      {"VM-snapshot", "vm-snapshots"}, {"VM-controller", "vm-controllers"}, {"VDI", "vdis"},
      {"VDI-snapshot", "vdi-snapshots"}, {"VDI-unmanaged", "vdi-unmanaged"}, {"SR", "srs"},
      {"network", "networks"}, {"PIF", "pifs"}, {"VIF", "vifs"}, {"VBD", "vbds"}, {"PBD", "pbds"},
      {"SM", "sms"}, {"PCI", "pcis"}, {"PGPU", "pgpus"}, {"vgpu", "vgpus"}, {"vgpuType", "vgpu-types"},
      {"gpuGroup", "gpu-groups"}, {"VTPM", "vtpms"}, {"message", "messages"}, {"alarm", "alarms"}}};
  for (const auto& [t, c] : kTypes) {
    if (t == type) return c;
  }
  return {};
}

// --- SseSubscription ---

SseSubscription::~SseSubscription() { stream_.hub().remove_watcher(this); }

Connection& SseSubscription::connection() { return stream_.connection(); }

std::string SseSubscription::drop_text(std::string_view reason) { return stream_.closing_text(reason); }

bool SseSubscription::deliver(const std::vector<WatchEvent>& events, const std::string& lines,
                              uint64_t view_position, size_t limit) {
  (void)lines;  // frames, not watch lines
  std::string text;
  for (const WatchEvent& e : events) {
    if (e.seq <= position_) continue;
    stream_.frame(e.remove ? "remove" : e.added ? "add" : "update", sse_data(e, type_),
                  SseStream::At{e.seq, std::nullopt, this}, &text);
  }
  position_ = std::max(position_, view_position);
  if (text.empty()) return true;
  Connection& conn = stream_.connection();
  conn.send(text);
  stream_.hub().touched(conn.fd());
  return conn.pending() <= limit;
}

void SseSubscription::replay(const std::vector<WatchEvent>& events) {
  std::string text;
  for (const WatchEvent& e : events) {
    stream_.frame(e.remove ? "remove" : "update", sse_data(e, type_), SseStream::At{e.seq, std::nullopt, this}, &text);
  }
  if (!text.empty()) stream_.connection().send(text);
}

// --- SseStream ---

SseStream::SseStream(WatchHub& hub, TaskBoard& board, Connection& conn, std::string id, std::string user_id,
                     bool revision, SseResume resume)
    : hub_(hub), board_(board), conn_(conn), id_(std::move(id)), user_id_(std::move(user_id)), revision_(revision),
      resume_(resume) {
  hub_.sse_streams()[id_] = this;
}

SseStream::~SseStream() {
  subscriptions_.clear();  // they leave their views first
  hub_.sse_streams().erase(id_);
}

void SseStream::frame(std::string_view event, std::string_view data, std::optional<At> at, std::string* out) const {
  out->append("event: ").append(event).append("\n");
  if (revision_ && at) {
    // The other history's part: the least any subscription following it has told (a frame
    // of one view may precede another view's frames of the same batch), or where that history
    // is now when nothing here follows it (a later subscription starts there anyway).
    std::optional<uint64_t> cache = at->cache_seq;
    std::optional<int64_t> task = at->task_revision;
    for (const auto& [type, sub] : subscriptions_) {
      if (sub.get() == at->from) continue;
      if (auto p = sub->cache_position()) cache = std::min(cache.value_or(*p), *p);
      if (auto p = sub->task_position()) task = std::min(task.value_or(*p), *p);
    }
    const uint64_t seq = cache.value_or(hub_.reader().last_change_seq());
    out->append("id: ").append(live::format_revision({hub_.reader().instance(), seq}));
    out->append("~").append(std::to_string(task.value_or(board_.revision()))).append("\n");
  }
  out->append("data: ").append(data).append("\n\n");
}

void SseStream::started() {
  std::string text;
  frame("init", "{\"id\":" + json_string(id_) + "}", std::nullopt, &text);
  conn_.send(text);
  next_ping_ms_ = now_ms() + kPingMs;
}

std::string SseStream::closing_text(std::string_view reason) {
  if (reason.empty()) return {};
  std::string text;
  frame("error", "{\"error\":" + json_string(reason) + "}", std::nullopt, &text);
  return text;
}

bool SseStream::tick(int64_t now) {
  if (now < next_ping_ms_) return false;
  std::string text;
  frame("ping", "{\"ping\":" + std::to_string(now) + "}", std::nullopt, &text);
  conn_.send(text);
  next_ping_ms_ = now + kPingMs;
  return true;
}

Status SseStream::subscribe(const std::string& type, const std::string& collection, ListQuery query,
                            const std::string& fields_key, size_t limit) {
  const std::string key = "sse\n" + collection + "\n" + fields_key;
  XR_ASSIGN_OR_RETURN(View * view, hub_.view_for(collection, std::move(query), key, limit));
  const uint64_t at = view->position();
  const cache::Reader& reader = hub_.reader();
  std::vector<WatchEvent> replay;
  if (resume_.cache) {
    XR_ASSIGN_OR_RETURN(uint64_t from, live::resume_point(reader, *resume_.cache, at));
    std::vector<cache::Change> changed;
    XR_RETURN_IF_ERROR(live::changed_between(reader, from, at, &changed));
    const auto index = reader.collection(collection);
    for (const cache::Change& c : changed) {
      if (index && c.collection == *index) replay.push_back(view->current(reader, c.id, c.seq));
    }
  }
  // A new subscription to the same collection replaces the old one — which leaves its view
  // only after the new one watches it: the last watcher leaving destroys the view, and
  // `view` may be that same view (same collection and fields).
  auto sub = std::make_unique<SseSubscription>(*this, type, at);
  view->watchers().push_back(sub.get());
  sub->replay(replay);
  std::unique_ptr<SseSubscriptionBase> old = std::exchange(subscriptions_[type], std::move(sub));
  old.reset();
  hub_.touched(conn_.fd());
  return Status::ok();
}

// --- tasks ---

namespace {

// An SSE subscription to XO tasks: add/update/remove frames from the task board.
class TaskSseSubscription : public SseSubscriptionBase, public TaskClient {
 public:
  TaskSseSubscription(SseStream& stream, TaskBoard& board, std::string type, TaskQuery query, size_t limit)
      : stream_(stream), board_(board), type_(std::move(type)), query_(std::move(query)), limit_(limit),
        position_(board.revision()) {
    for (const auto& [id, t] : board_.tasks()) {
      std::string entry;
      uint64_t hash = 0;
      if (query_.describe(t, &entry, &hash)) told_[id] = hash;
    }
    board_.add(this);
  }
  ~TaskSseSubscription() override { board_.remove(this); }
  std::optional<int64_t> task_position() const override { return position_; }

  // Frames for what changed after `since` (each task in its current state); false when
  // `since` is too old.
  bool replay(int64_t since) {
    std::string text;
    const bool ok = board_.replay_since(since, [&](const std::string& id, const tasks::Task* t, int64_t revision) {
      WatchEvent e;
      e.id = id;
      uint64_t hash = 0;
      if (t == nullptr) {
        told_.erase(id);
        e.remove = true;
      } else if (query_.describe(*t, &e.entry, &hash)) {
        told_[id] = hash;
      } else {
        return;
      }
      stream_.frame(e.remove ? "remove" : "update", sse_data(e, type_), SseStream::At{std::nullopt, revision, this},
                    &text);
    });
    if (!text.empty()) stream_.connection().send(text);
    return ok;
  }

  void changed(const std::string& id, const tasks::Task* task, int64_t revision) override {
    if (dropped_) return;
    position_ = std::max(position_, revision);
    WatchEvent e;
    e.id = id;
    uint64_t hash = 0;
    if (task != nullptr && query_.describe(*task, &e.entry, &hash)) {
      auto it = told_.find(id);
      if (it != told_.end() && it->second == hash) return;
      e.added = it == told_.end();
      told_[id] = hash;
    } else {
      if (told_.erase(id) == 0) return;
      e.remove = true;
    }
    std::string text;
    stream_.frame(e.remove ? "remove" : e.added ? "add" : "update", sse_data(e, type_),
                  SseStream::At{std::nullopt, revision, this}, &text);
    Connection& conn = stream_.connection();
    conn.send(text);
    stream_.hub().touched(conn.fd());
    if (conn.pending() > limit_) {
      dropped_ = true;
      conn.drop_unsent();
      conn.send(stream_.closing_text("client too slow: more than stream.client_buffer_kb of events waiting"));
      conn.end();  // destroys the stream and this
    }
  }

 private:
  SseStream& stream_;
  TaskBoard& board_;
  std::string type_;
  TaskQuery query_;
  size_t limit_;
  std::unordered_map<std::string, uint64_t> told_;
  int64_t position_;  // every change up to it is told
  bool dropped_ = false;
};

}  // namespace

Status SseStream::subscribe_tasks(const std::string& type, TaskBoard& board, TaskQuery query, size_t limit) {
  if (!board.ready()) return Status(ErrorKind::kUnavailable, "the task store is not read yet: retry");
  auto sub = std::make_unique<TaskSseSubscription>(*this, board, type, std::move(query), limit);
  if (resume_.task && !sub->replay(*resume_.task)) {
    return Status(ErrorKind::kGone, "task revision too old to resume from: list the tasks again");
  }
  subscriptions_[type] = std::move(sub);
  hub_.touched(conn_.fd());
  return Status::ok();
}

bool SseStream::unsubscribe(const std::string& type) { return subscriptions_.erase(type) > 0; }

bool sse_tick(SseStream& s, int64_t now_ms) { return s.tick(now_ms); }
int sse_fd(SseStream& s) { return s.connection().fd(); }

}  // namespace xr::app

// Server-sent events as current XO serves them (reference §b.6): `GET /rest/v0/events`
// opens a text/event-stream with an `init` frame carrying the connection id and a `ping`
// frame every 30 s; `POST /events/<id>/subscriptions {collection, fields?}` subscribes it
// to a collection (XO type name), `DELETE /events/<id>/subscriptions/<collection>` ends
// that. Each subscription is a client of a shared View (watch.h) and writes `add`, `update`,
// `remove` frames whose data is the (projected) object plus "$subscription". Opt-in beyond
// XO: `?revision` adds `id: <cache revision>~<task revision>` to frames (where the client is in
// both histories); a reconnection with `Last-Event-ID` (or `?since`) replays, at each new
// subscription, what changed after it. Stream thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "live/revision.h"
#include "stream/watch.h"

namespace xr::app {

class SseStream;
class TaskBoard;
struct TaskQuery;

// Where an SSE client resumes from (`Last-Event-ID` or `?since`): a frame id
// `<cache revision>~<task revision>`, a cache revision alone (an X-Revision of a list) or a
// task revision alone (X-Revision of GET /tasks).
struct SseResume {
  std::optional<live::Revision> cache;
  std::optional<int64_t> task;
};
// nullopt when `text` is none of those forms.
std::optional<SseResume> parse_sse_resume(std::string_view text);

// One subscription of an SSE stream (a cache collection's or the tasks').
class SseSubscriptionBase {
 public:
  virtual ~SseSubscriptionBase() = default;
  // How far in the cache's change log (tasks': the task store's revisions) this subscription
  // has told its client everything; nullopt when it does not follow that history.
  virtual std::optional<uint64_t> cache_position() const { return std::nullopt; }
  virtual std::optional<int64_t> task_position() const { return std::nullopt; }
};

class SseSubscription : public ViewClient, public SseSubscriptionBase {
 public:
  SseSubscription(SseStream& stream, std::string type, uint64_t position)
      : stream_(stream), type_(std::move(type)), position_(position) {}
  ~SseSubscription() override;
  bool deliver(const std::vector<WatchEvent>& events, const std::string& lines, uint64_t view_position,
               size_t limit) override;
  Connection& connection() override;
  std::string drop_text(std::string_view reason) override;
  // Frames for a replay (events in order).
  void replay(const std::vector<WatchEvent>& events);
  std::optional<uint64_t> cache_position() const override { return position_; }

 private:
  SseStream& stream_;
  std::string type_;  // XO type name ("VM"), the "$subscription" of its frames
  uint64_t position_;
};

class SseStream : public OpenStream {
 public:
  SseStream(WatchHub& hub, TaskBoard& board, Connection& conn, std::string id, std::string user_id,
             bool revision, SseResume resume);
  ~SseStream() override;
  void started() override;
  std::string closing_text(std::string_view reason) override;
  std::string stop_text(std::string_view reason) override { return closing_text(reason); }

  const std::string& id() const { return id_; }
  const std::string& user_id() const { return user_id_; }
  // Subscribes to `collection` (a cache collection) as XO `type` with the projection of
  // `query`; replays from the resume revision the first time. kGone for a resume revision
  // too old.
  Status subscribe(const std::string& type, const std::string& collection, ListQuery query,
                   const std::string& fields_key, size_t limit);
  // Subscribes to XO tasks (`type` "task"), projected and filtered by `query`; replays from
  // the resume task revision (kGone when too old).
  Status subscribe_tasks(const std::string& type, TaskBoard& board, TaskQuery query, size_t limit);
  // False when there was no such subscription.
  bool unsubscribe(const std::string& type);

  // A frame (`event`, `data`) for the subscriptions and pings. With `?revision`, a frame of a
  // change (`at` set) carries `id: <cache revision>~<task revision>`: one part is the change's,
  // the other where every subscription of the other history has told its client everything
  // (`from` is the subscription writing it, left out of that minimum).
  struct At {
    std::optional<uint64_t> cache_seq;
    std::optional<int64_t> task_revision;
    const SseSubscriptionBase* from = nullptr;
  };
  void frame(std::string_view event, std::string_view data, std::optional<At> at, std::string* out) const;
  bool tick(int64_t now_ms);
  Connection& connection() { return conn_; }
  WatchHub& hub() { return hub_; }

 private:
  WatchHub& hub_;
  TaskBoard& board_;
  Connection& conn_;
  std::string id_;
  std::string user_id_;
  bool revision_;
  SseResume resume_;
  std::map<std::string, std::unique_ptr<SseSubscriptionBase>> subscriptions_;
  int64_t next_ping_ms_ = 0;
};

bool sse_tick(SseStream& s, int64_t now_ms);
int sse_fd(SseStream& s);

// The cache collection of an XO type name for subscriptions ("VM" -> "vms"), or "".
std::string_view sse_collection(std::string_view type);

}  // namespace xr::app

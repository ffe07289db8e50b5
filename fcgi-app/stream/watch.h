// Watch streams (`GET /rest/v0/<collection>?ndjson&watch`): the shared state behind them
// and the per-client stream. Watchers asking the same (collection, fields, filter) share
// one View: it holds, per object matching the filter, a hash of what a client was last
// told (the projection, or the whole object without `fields`), follows the cache's change
// log batch by batch (live::Follower) and turns each change into at most one event,
// written once and fanned out to every watcher of the view. Stream thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/reader.h"
#include "live/follower.h"
#include "routes/object_stream.h"
#include "stream/connection.h"
#include "stream/filter_spend.h"
#include "stream/open_stream.h"

namespace xr::app {

class View;

// One event of a view: `line` is `["update",<entry>]` / `["remove",<entry>]` without
// the newline; `seq` the change that caused it.
struct WatchEvent {
  uint64_t seq = 0;
  bool remove = false;
  bool added = false;  // an update about an object the view did not have (SSE "add")
  std::string id;
  std::string entry;   // the collection entry (href string or projected object with href)
};

// What a watcher asked for, beyond the view's query.
struct WatchOptions {
  bool revision = false;   // `revision`: each line carries the revision it brings the client to
  int heartbeat_s = 0;     // `heartbeat[=seconds]`: a ["ping",<ms>] line when quiet that long
};

class WatchHub;

// What a View writes to: a watch stream, or one subscription of a server-sent events stream.
class ViewClient {
 public:
  virtual ~ViewClient() = default;
  // Writes the events after this client's position; false when the client must be dropped
  // (too far behind: `limit` bytes unsent). `lines`: the events as watch lines without
  // revisions, built once per view and batch (what most watch streams write as it is).
  virtual bool deliver(const std::vector<WatchEvent>& events, const std::string& lines, uint64_t view_position,
                       size_t limit) = 0;
  // The connection it writes to, and the text that ends it when it is dropped for `reason`.
  virtual Connection& connection() = 0;
  virtual std::string drop_text(std::string_view reason) = 0;
};

class WatchStream : public OpenStream, public ViewClient {
 public:
  WatchStream(WatchHub& hub, Connection& conn, WatchOptions options, uint32_t instance, uint64_t position)
      : hub_(hub), conn_(conn), options_(options), instance_(instance), position_(position) {}
  ~WatchStream() override;
  bool deliver(const std::vector<WatchEvent>& events, const std::string& lines, uint64_t view_position,
               size_t limit) override;
  std::string drop_text(std::string_view reason) override { return closing_text(reason); }
  // The replay of a resumed watch (events in order), written once the head is out.
  void set_replay(std::vector<WatchEvent> events) { replay_ = std::move(events); }
  void started() override;
  // A heartbeat line when due; true when one was written.
  bool tick(int64_t now_ms);
  // An ["error",{"error":reason,"revision":...}] line: always when the client is dropped for
  // being slow; on a stop only to clients that asked for revisions (they can resume).
  std::string closing_text(std::string_view reason) override;
  std::string stop_text(std::string_view reason) override {
    return options_.revision ? closing_text(reason) : std::string();
  }
  uint64_t position() const { return position_; }
  Connection& connection() override { return conn_; }

 private:
  void line(std::string_view kind, std::string_view entry, uint64_t seq, std::string* out) const;

  WatchHub& hub_;
  Connection& conn_;
  WatchOptions options_;
  uint32_t instance_;
  uint64_t position_;      // revision the client is at once it read everything sent
  std::vector<WatchEvent> replay_;
  int64_t last_write_ms_ = 0;
};

class View {
 public:
  // `index`: the collection's in the cache; nullopt while it has never held an object (found
  // once a change of it is logged).
  View(std::string key, std::string collection, std::optional<uint16_t> index, ListQuery query,
       FilterLimits limits = {});
  const std::string& key() const { return key_; }
  const std::string& collection() const { return collection_; }
  uint64_t position() const { return follower_ ? follower_->position() : 0; }

  // Fills the state from a snapshot of the collection at a stable point.
  // kInvalidArgument / kUnavailable once the filter spent its budget (budget_error()).
  Status load(const cache::Reader& reader);
  // Follows the log up to its stable end; appends the events to *out. A view overtaken by
  // the ring reloads and reports the difference. Past the filter's budget: its error, and
  // the view is spent for good (every later advance answers the same).
  Status advance(const cache::Reader& reader, std::vector<WatchEvent>* out);
  // OK while the filter is within its budget (stream/filter_spend.h); else why not.
  const Status& budget_error() const { return spend_.error(); }
  // The current state of `id` as an event (an update when it matches, else a remove).
  WatchEvent current(const cache::Reader& reader, const std::string& id, uint64_t seq) const;

  std::vector<ViewClient*>& watchers() { return watchers_; }

 private:
  // Projection of the object now in the cache (nullopt: absent or not matching the filter)
  // and the hash of what counts as "changed".
  bool describe(const cache::Reader& reader, const std::string& id, std::string* entry, uint64_t* hash) const;
  // The filter on `v` within the budget (false once spent; budget_error() says why).
  bool passes(const cache::ObjectView& v) const;
  std::string remove_entry(std::string_view id) const;
  void apply(const cache::Reader& reader, const std::string& id, uint64_t seq, std::vector<WatchEvent>* out);

  std::string key_;
  std::string collection_;
  std::optional<uint16_t> index_;
  ListQuery query_;
  // The filter's budget, shared by the view's watchers (mutable: describe() is const; one
  // thread, the stream loop's).
  mutable FilterSpend spend_;
  mutable std::optional<filter::Filter::Matcher<cache::ObjectView>> matcher_;
  std::string href_base_;
  std::unordered_map<std::string, uint64_t> state_;  // matching objects -> hash
  std::unique_ptr<live::Follower> follower_;
  std::vector<ViewClient*> watchers_;
};

// The views of the process by query key, created on demand, dropped with their last watcher.
class WatchHub {
 public:
  explicit WatchHub(const cache::Reader& reader, FilterLimits limits = {}) : reader_(reader), limits_(limits) {}
  // The view for this query, brought up to the log's stable end (events of the catch-up
  // are delivered to its current watchers first).
  Result<View*> view_for(const std::string& collection, ListQuery query, const std::string& key, size_t limit);
  void remove_watcher(ViewClient* w);
  // Advances every view; drops (ends with a reason) watchers that fell too far behind.
  void advance_all(size_t limit);
  // Heartbeats of watch streams (`heartbeat`) and pings of SSE streams.
  void tick(int64_t now_ms);
  // Open SSE streams by connection id (stream/sse.h).
  std::unordered_map<std::string, class SseStream*>& sse_streams() { return sse_; }
  size_t watcher_count() const;
  const cache::Reader& reader() const { return reader_; }
  // Connections written to since the last call (the loop flushes them).
  std::vector<int> take_touched() { return std::move(touched_); }
  void touched(int fd) { touched_.push_back(fd); }

 private:
  void deliver(View& view, const std::vector<WatchEvent>& events, size_t limit);
  // Ends every client of `view` with `reason` (its filter spent its budget).
  void end_all(View& view, const std::string& reason);

  const cache::Reader& reader_;
  FilterLimits limits_;
  std::unordered_map<std::string, std::unique_ptr<View>> views_;
  std::unordered_map<std::string, class SseStream*> sse_;
  std::vector<int> touched_;
};

}  // namespace xr::app

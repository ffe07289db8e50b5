#include "stream/watch.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "base/log.h"
#include "live/revision.h"
#include "routes/json_text.h"
#include "stream/sse.h"

namespace xr::app {

namespace {
const log::Logger kLog("stream");

uint64_t hash_text(std::string_view text) { return std::hash<std::string_view>()(text); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// --- WatchStream ---

WatchStream::~WatchStream() { hub_.remove_watcher(this); }

void WatchStream::line(std::string_view kind, std::string_view entry, uint64_t seq, std::string* out) const {
  out->append("[\"").append(kind).append("\",").append(entry);
  if (options_.revision) {
    out->append(",\"").append(live::format_revision({instance_, seq})).append("\"");
  }
  out->append("]\n");
}

bool WatchStream::deliver(const std::vector<WatchEvent>& events, const std::string& lines, uint64_t view_position,
                          size_t limit) {
  std::string text;
  const bool all = events.empty() || events.front().seq > position_;
  if (!options_.revision && all) {
    // The bytes every such watcher of the view gets: rendered once, copied here.
    position_ = std::max(position_, view_position);
    if (lines.empty()) return true;
    conn_.send(lines);
  } else {
    for (const WatchEvent& e : events) {
      if (e.seq <= position_) continue;  // a resumed watch already had it in its replay
      line(e.remove ? "remove" : "update", e.entry, e.seq, &text);
    }
    position_ = std::max(position_, view_position);
    if (text.empty()) return true;
    conn_.send(text);
  }
  last_write_ms_ = now_ms();
  hub_.touched(conn_.fd());
  return conn_.pending() <= limit;
}

void WatchStream::started() {
  std::string text;
  for (const WatchEvent& e : replay_) line(e.remove ? "remove" : "update", e.entry, e.seq, &text);
  replay_.clear();
  replay_.shrink_to_fit();
  if (!text.empty()) conn_.send(text);
  last_write_ms_ = now_ms();
}

bool WatchStream::tick(int64_t now) {
  if (options_.heartbeat_s <= 0) return false;
  if (last_write_ms_ == 0) last_write_ms_ = now;
  if (now - last_write_ms_ < int64_t{options_.heartbeat_s} * 1000) return false;
  std::string text;
  line("ping", std::to_string(now), position_, &text);
  conn_.send(text);
  last_write_ms_ = now;
  return true;
}

std::string WatchStream::closing_text(std::string_view reason) {
  if (reason.empty()) return {};
  // A last line saying why the stream ends, and where to resume from.
  std::string entry = "{\"error\":" + json_string(reason) + ",\"revision\":\"" +
                      live::format_revision({instance_, position_}) + "\"}";
  std::string text;
  line("error", entry, position_, &text);
  return text;
}

// --- View ---

View::View(std::string key, std::string collection, std::optional<uint16_t> index, ListQuery query, FilterLimits limits)
    : key_(std::move(key)), collection_(std::move(collection)), index_(index), query_(std::move(query)),
      spend_(limits), href_base_("/rest/v0/" + collection_ + "/") {
  if (query_.filter) matcher_.emplace(*query_.filter, spend_.match());
}

bool View::passes(const cache::ObjectView& v) const {
  if (!matcher_) return true;
  if (!spend_.error().is_ok()) return false;
  const bool pass = (*matcher_)(v);
  return spend_.after_test() && pass;
}

bool View::describe(const cache::Reader& reader, const std::string& id, std::string* entry,
                    uint64_t* hash) const {
  bool matches = false;
  entry->clear();
  auto found = reader.visit(collection_, id, *entry, [&](const cache::ObjectView& v, std::string& out) {
    matches = passes(v);
    if (!matches) return;
    append_element(query_, v, href_base_, out);
    // Without fields the entry is the href: any change of the object counts.
    *hash = hash_text(query_.options.has_fields && !query_.fields.all() ? std::string_view(out) : v.text());
  });
  return found.is_ok() && *found && matches;
}

std::string View::remove_entry(std::string_view id) const {
  const std::string href = href_base_ + std::string(id);
  return query_.options.has_fields ? "{\"href\":\"" + href + "\"}" : "\"" + href + "\"";
}

WatchEvent View::current(const cache::Reader& reader, const std::string& id, uint64_t seq) const {
  WatchEvent e;
  e.seq = seq;
  e.id = id;
  uint64_t hash = 0;
  if (!describe(reader, id, &e.entry, &hash)) {
    e.remove = true;
    e.entry = remove_entry(id);
  }
  return e;
}

void View::apply(const cache::Reader& reader, const std::string& id, uint64_t seq, std::vector<WatchEvent>* out) {
  WatchEvent e;
  uint64_t hash = 0;
  const bool now = describe(reader, id, &e.entry, &hash);
  auto it = state_.find(id);
  if (now) {
    if (it != state_.end() && it->second == hash) return;  // nothing a client sees changed
    e.added = it == state_.end();
    state_[id] = hash;
  } else {
    if (it == state_.end()) return;  // never matched: the client does not have it
    state_.erase(it);
    e.remove = true;
    e.entry = remove_entry(id);
  }
  e.seq = seq;
  e.id = id;
  out->push_back(std::move(e));
}

Status View::load(const cache::Reader& reader) {
  spend_.start_pass();
  std::unordered_map<std::string, uint64_t> fresh;
  auto point = live::at_stable_point(reader, [&] {
    fresh.clear();
    cache::ScanCursor cursor;
    std::string scratch;
    while (!cursor.done) {
      Status s = reader.scan(collection_, cursor, scratch, 1 << 20, [&](const cache::ObjectView& v, std::string& out) {
        if (!passes(v)) return false;
        const size_t mark = out.size();
        append_element(query_, v, href_base_, out);
        const bool projected = query_.options.has_fields && !query_.fields.all();
        fresh[std::string(v.id())] = hash_text(projected ? std::string_view(out).substr(mark) : v.text());
        out.resize(mark);
        return true;
      });
      if (!s.is_ok()) return;
    }
  });
  if (!point.is_ok()) return point.status();
  if (!spend_.error().is_ok()) return spend_.error();
  state_ = std::move(fresh);
  follower_ = std::make_unique<live::Follower>(reader, *point);
  return Status::ok();
}

Status View::advance(const cache::Reader& reader, std::vector<WatchEvent>* out) {
  if (!spend_.error().is_ok()) return spend_.error();
  spend_.start_pass();
  std::vector<cache::Change> changes;
  Status s = follower_->next(&changes);
  if (s.kind() == ErrorKind::kResourceExhausted) {
    // Overtaken by the ring (a resynchronisation after a XAPI restart, say): reload and send
    // the difference, so clients still converge.
    std::unordered_map<std::string, uint64_t> before = std::move(state_);
    XR_RETURN_IF_ERROR(load(reader));
    const uint64_t at = follower_->position();
    for (const auto& [id, hash] : before) {
      if (state_.count(id) == 0) {
        WatchEvent e;
        e.seq = at;
        e.id = id;
        e.remove = true;
        e.entry = remove_entry(id);
        out->push_back(std::move(e));
      }
    }
    for (const auto& [id, hash] : state_) {
      auto it = before.find(id);
      if (it != before.end() && it->second == hash) continue;
      WatchEvent e = current(reader, id, at);
      e.added = it == before.end();
      if (!e.remove) out->push_back(std::move(e));
    }
    kLog.info("watch on " + collection_ + " overtaken by the change log: reloaded, " +
              std::to_string(out->size()) + " differences sent");
    return Status::ok();
  }
  XR_RETURN_IF_ERROR(s);
  if (!index_) index_ = reader.collection(collection_);  // its first object may be in these changes
  for (const cache::Change& c : changes) {
    if (c.collection == index_) apply(reader, c.id, c.seq, out);
    if (!spend_.error().is_ok()) return spend_.error();  // the watchers are told no made-up event
  }
  return Status::ok();
}

// --- WatchHub ---

void WatchHub::deliver(View& view, const std::vector<WatchEvent>& events, size_t limit) {
  const uint64_t position = view.position();
  std::string lines;  // events are in seq order: a watcher past the first one has them all
  for (const WatchEvent& e : events) {
    lines.append(e.remove ? "[\"remove\"," : "[\"update\",").append(e.entry).append("]\n");
  }
  std::vector<ViewClient*> slow;
  for (ViewClient* w : view.watchers()) {
    if (!w->deliver(events, lines, position, limit)) slow.push_back(w);
  }
  // A view has at most one client per connection (an SSE stream subscribes once per collection).
  for (ViewClient* w : slow) {
    Connection& conn = w->connection();
    kLog.warn("stream client too slow (" + std::to_string(conn.pending() / 1024) + " KiB unsent): disconnected");
    conn.drop_unsent();
    conn.send(w->drop_text("client too slow: more than stream.client_buffer_kb of events waiting"));
    conn.end();  // destroys w (it leaves its view)
    touched(conn.fd());
  }
}

void WatchHub::end_all(View& view, const std::string& reason) {
  kLog.warn("watch on " + view.collection() + " ended: " + reason);
  const std::vector<ViewClient*> clients = view.watchers();  // each leaves the view as it ends
  for (ViewClient* w : clients) {
    Connection& conn = w->connection();
    conn.send(w->drop_text(reason));
    conn.end();  // destroys w; the view goes with its last watcher
    touched(conn.fd());
  }
}

Result<View*> WatchHub::view_for(const std::string& collection, ListQuery query, const std::string& key,
                                 size_t limit) {
  auto it = views_.find(key);
  if (it != views_.end()) {
    std::vector<WatchEvent> events;
    if (Status s = it->second->advance(reader_, &events); !s.is_ok()) {
      // A spent filter ends the view's watchers; the new request gets the same error.
      if (!it->second->budget_error().is_ok()) {
        end_all(*it->second, s.message());
        views_.erase(key);  // if no watcher was left to take it along
      }
      return s;
    }
    if (!events.empty()) deliver(*it->second, events, limit);
    it = views_.find(key);  // its last watcher may have been dropped
    if (it != views_.end()) return it->second.get();
  }
  const auto index = reader_.collection(collection);
  // A collection that never held an object (vgpus in most pools) is watched all the same once
  // a pool is in the cache; before that, a watch would get the first sync as changes.
  if (!index && !reader_.collection("pools")) {
    return Status(ErrorKind::kUnavailable, "the cache has no " + collection + " yet");
  }
  auto view = std::make_unique<View>(key, collection, index, std::move(query), limits_);
  XR_RETURN_IF_ERROR(view->load(reader_));
  View* raw = view.get();
  views_.emplace(key, std::move(view));
  return raw;
}

void WatchHub::remove_watcher(ViewClient* w) {
  for (auto it = views_.begin(); it != views_.end(); ++it) {
    auto& ws = it->second->watchers();
    auto found = std::find(ws.begin(), ws.end(), w);
    if (found == ws.end()) continue;
    ws.erase(found);
    if (ws.empty()) views_.erase(it);
    return;
  }
}

void WatchHub::advance_all(size_t limit) {
  std::vector<std::string> keys;
  for (auto& [key, view] : views_) keys.push_back(key);
  for (const std::string& key : keys) {
    auto it = views_.find(key);  // dropping a slow SSE client may have ended another view
    if (it == views_.end()) continue;
    View* view = it->second.get();
    std::vector<WatchEvent> events;
    Status s = view->advance(reader_, &events);
    if (!s.is_ok() && !view->budget_error().is_ok()) {
      end_all(*view, s.message());  // a clear last line / error frame, then the end
      views_.erase(key);              // if no watcher was left to take it along
      continue;
    }
    if (!s.is_ok()) {
      kLog.warn("watch on " + view->collection() + ": " + s.to_string());
      continue;
    }
    if (!events.empty()) deliver(*view, events, limit);
  }
}

void WatchHub::tick(int64_t now) {
  for (auto& [key, view] : views_) {
    for (ViewClient* c : view->watchers()) {
      if (auto* w = dynamic_cast<WatchStream*>(c); w != nullptr && w->tick(now)) touched(w->connection().fd());
    }
  }
  for (auto& [id, sse] : sse_) {
    if (sse_tick(*sse, now)) touched(sse_fd(*sse));
  }
}

size_t WatchHub::watcher_count() const {
  size_t n = 0;
  for (const auto& [key, view] : views_) n += view->watchers().size();
  return n;
}

}  // namespace xr::app

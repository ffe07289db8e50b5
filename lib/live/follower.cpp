#include "live/follower.h"

#include <unordered_map>

namespace xr::live {

std::optional<uint64_t> stable_end(const cache::Reader& reader) {
  const uint64_t b1 = reader.batch_seq();
  if (b1 % 2 != 0) return std::nullopt;
  const uint64_t end = reader.last_change_seq();
  if (reader.batch_seq() != b1) return std::nullopt;
  return end;
}

Status Follower::next(std::vector<cache::Change>* out) {
  const auto end = stable_end(reader_);
  if (!end || *end <= position_) return Status::ok();
  const size_t mark = out->size();
  Status s = reader_.read_changes(position_, *end - position_, out);
  if (!s.is_ok()) {
    out->resize(mark);
    return s;
  }
  while (out->size() > mark && out->back().seq > *end) out->pop_back();
  position_ = *end;
  return Status::ok();
}

Status changed_between(const cache::Reader& reader, uint64_t after, uint64_t until,
                       std::vector<cache::Change>* out) {
  if (until <= after) return Status::ok();
  std::vector<cache::Change> changes;
  Status s = reader.read_changes(after, until - after, &changes);
  if (!s.is_ok()) {
    return Status(ErrorKind::kGone, "revision too old: the change log no longer reaches back to it");
  }
  // Keep each object once, at its last change.
  std::unordered_map<std::string, size_t> last;
  for (size_t i = 0; i < changes.size() && changes[i].seq <= until; ++i) {
    last[std::to_string(changes[i].collection) + "/" + changes[i].id] = i;
  }
  for (size_t i = 0; i < changes.size() && changes[i].seq <= until; ++i) {
    if (last[std::to_string(changes[i].collection) + "/" + changes[i].id] == i) {
      out->push_back(std::move(changes[i]));
    }
  }
  return Status::ok();
}

Result<uint64_t> resume_point(const cache::Reader& reader, Revision r, uint64_t now) {
  if (r.instance != reader.instance()) {
    // Each node's cache follows XAPI on its own: no revision of it names a point of another's.
    return Status(ErrorKind::kGone, "revision of another xapi-rest node or of an earlier run of this one");
  }
  if (r.seq > now) return Status(ErrorKind::kInvalidArgument, "revision from the future");
  return r.seq;
}

}  // namespace xr::live

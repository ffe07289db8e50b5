// EventSpool::SaxEncoder: a full resync's dump encoded into the spool straight from the JSON
// parser's events, no xapi::Value built per event (event_spool.h; the Value path is
// EventSpool::add in event_spool.cpp, and both must give the same records).
#include "xapi/event_spool.h"
#include "xapi/event_spool_tags.h"

#include <string>
#include <utility>

namespace xr::xapi {
using namespace spool_tags;

EventSpool::SaxEncoder::SaxEncoder(EventSpool& spool, std::string skip_operation)
    : spool_(spool), skip_(std::move(skip_operation)) {
  spool_.scratch_.clear();
}

uint32_t EventSpool::SaxEncoder::begin_value() {
  uuid_next_ = false;
  if (frames_.empty()) {  // the snapshot itself (a repeated "snapshot" member replaces it)
    spool_.scratch_.clear();
    has_snapshot_ = true;
    uuid_seen_ = false;
    uuid_.clear();
    return kTop;
  }
  Frame& f = frames_.back();
  ++f.count;
  return f.is_struct ? f.key : f.parent;
}

void EventSpool::SaxEncoder::text_field(std::string_view s) {
  if (depth_ != 1) return;
  if (field_ == Field::kClass) cls_ = s;
  if (field_ == Field::kOperation) operation_ = s;
  if (field_ == Field::kRef) ref_ = s;
}

void EventSpool::SaxEncoder::null() {
  if (!in_snapshot()) return;
  begin_value();
  spool_.scratch_.push_back(static_cast<char>(kNil));
}

void EventSpool::SaxEncoder::boolean(bool b) {
  if (!in_snapshot()) return;
  begin_value();
  spool_.scratch_.push_back(static_cast<char>(b ? kTrue : kFalse));
}

void EventSpool::SaxEncoder::integer(int64_t i) {
  if (!in_snapshot()) return;
  begin_value();
  spool_.scratch_.push_back(static_cast<char>(kInt));
  spool_.put_varint((static_cast<uint64_t>(i) << 1) ^ static_cast<uint64_t>(i >> 63));
}

void EventSpool::SaxEncoder::real(double d) {
  if (!in_snapshot()) return;
  begin_value();
  spool_.scratch_.push_back(static_cast<char>(kDouble));
  const auto bits = std::bit_cast<uint64_t>(d);
  spool_.scratch_.append(reinterpret_cast<const char*>(&bits), sizeof bits);
}

void EventSpool::SaxEncoder::string(std::string_view s) {
  if (!in_snapshot()) return text_field(s);
  if (uuid_next_) uuid_ = s;  // the snapshot's first "uuid" member (Value::get_string's)
  begin_value();
  spool_.scratch_.push_back(static_cast<char>(kString));
  spool_.put_text(s);
}

void EventSpool::SaxEncoder::key(std::string_view k) {
  if (frames_.empty()) {
    if (depth_ != 1) return;  // inside another member of the event: ignored
    field_ = k == "class"       ? Field::kClass
             : k == "operation" ? Field::kOperation
             : k == "ref"       ? Field::kRef
             : k == "snapshot"  ? Field::kSnapshot
                                : Field::kOther;
    return;
  }
  Frame& f = frames_.back();
  const uint32_t id = spool_.next_name_id(k, f.prev, f.first);
  spool_.put_varint(id);
  f.prev = f.key = id;
  f.first = false;
  uuid_next_ = frames_.size() == 1 && !uuid_seen_ && k == "uuid";
  uuid_seen_ = uuid_seen_ || uuid_next_;
}

void EventSpool::SaxEncoder::start_object() {
  if (!in_snapshot()) {
    if (depth_++ == 0) is_struct_ = true;
    return;
  }
  const uint32_t parent = begin_value();
  frames_.push_back(Frame{spool_.put_container(kStruct), 0, true, parent, parent, true, 0});
}

void EventSpool::SaxEncoder::start_array() {
  if (!in_snapshot()) {
    ++depth_;
    return;
  }
  const uint32_t parent = begin_value();
  frames_.push_back(Frame{spool_.put_container(kArray), 0, false, parent, parent, true, 0});
}

void EventSpool::SaxEncoder::end_object() {
  if (frames_.empty()) {
    --depth_;
    return;
  }
  spool_.patch_count(frames_.back().count_at, frames_.back().count);
  frames_.pop_back();
}

void EventSpool::SaxEncoder::end_array() { end_object(); }

Status EventSpool::SaxEncoder::end_item() {
  Status s;
  if (!is_struct_) {
    s = Status(ErrorKind::kProtocol, "event is not a struct");
  } else if (cls_.empty() || ref_.empty() || operation_.empty()) {
    s = Status(ErrorKind::kProtocol, "event without class, ref or operation");
  } else if (operation_ != skip_) {
    if (!has_snapshot_) {
      spool_.scratch_.clear();
      spool_.scratch_.push_back(static_cast<char>(kNil));
    }
    head_.clear();
    EventSpool::put_text(head_, cls_);
    EventSpool::put_text(head_, operation_);
    EventSpool::put_text(head_, ref_);
    EventSpool::put_text(head_, uuid_);
    spool_.append_record(head_, spool_.scratch_);
  }
  // Ready for the next item.
  spool_.scratch_.clear();
  frames_.clear();
  depth_ = 0;
  is_struct_ = has_snapshot_ = uuid_next_ = uuid_seen_ = false;
  field_ = Field::kOther;
  cls_.clear();
  operation_.clear();
  ref_.clear();
  uuid_.clear();
  return s;
}

}  // namespace xr::xapi

// ObjectView: a read-only JsonView (base/json_view.h) over one cached object or any value
// inside it, plus output of ready-made JSON pieces. Any reader thread; never blocks. Views
// point into shared memory: only use them inside a Reader visit/scan callback, which detects
// a concurrent compaction and replays the callback (see reader.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/json_view.h"
#include "cache/field_list.h"
#include "cache/layout.h"
#include "cache/record.h"

namespace xr::cache {

class ObjectView {
 public:
  ObjectView() = default;
  // The whole object of a checked record snapshot (record.h), which must outlive the view.
  explicit ObjectView(const RecordRef& record);

  // JsonView. Malformed (torn) text reads as null / empty, never out of bounds.
  JsonKind kind() const;
  double number() const;
  std::string_view string() const;
  std::size_t size() const;
  ObjectView at(std::size_t i) const;
  std::string_view key(std::size_t i) const;
  ObjectView value(std::size_t i) const;
  bool find(std::string_view name, ObjectView* out) const;

  // The object's id (root views) and its collection index.
  std::string_view id() const;
  // The compact JSON text of this value (for the root: the whole object).
  std::string_view text() const { return {begin_, static_cast<std::size_t>(end_ - begin_)}; }
  void append_json(std::string& out) const { out.append(begin_, static_cast<std::size_t>(end_ - begin_)); }
  // Root only: `{"a":...,"b":...}` with the fields present, in request order (lodash pick).
  // fields.all() writes the whole object.
  void append_fields(const FieldList& fields, std::string& out) const;
  // Root only: the same members without braces, comma separated; returns false if none was
  // written (so the caller can add its own members, e.g. "href").
  bool append_members(const FieldList& fields, std::string& out) const;
  // Root only: the `"key":value` text of a top-level member, or empty.
  std::string_view member_piece(std::string_view name) const;

 private:
  ObjectView(const RecordRef* r, const char* b, const char* e) : rec_(r), begin_(b), end_(e) {}
  const char* json_begin() const;
  const char* json_end() const;
  // Root: checked member i as [piece, value, end) pointers; false if torn.
  bool member(std::size_t i, const char** piece, const char** value, const char** end) const;
  int member_index(std::string_view name) const;
  int member_index(std::string_view name, uint16_t hash, uint32_t* hint) const;
  std::string_view member_piece(std::string_view name, uint16_t hash, uint32_t* hint) const;
  std::string_view token_text(const char* quote, const char* end) const;
  bool append_path_members(const FieldList& fields, std::string& out) const;

  const RecordRef* rec_ = nullptr;
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
  bool root_ = false;
};
static_assert(JsonView<ObjectView>);

}  // namespace xr::cache

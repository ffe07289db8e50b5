// ObjectSink: where the XO model (lib/xo) delivers the XO objects it derives from XAPI
// records; the object cache's writer (lib/cache) implements it. Called from the poller's
// pool thread only, one batch at a time.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace xr::xo {

class ObjectSink {
 public:
  virtual ~ObjectSink() = default;
  // A batch groups the changes of one XAPI event batch so readers see them together.
  virtual void begin_batch() = 0;
  // Adds or replaces the XO object `id` in `collection` ("vms", "hosts", "vm-templates"...).
  // `object` is the complete XO object (with "id", "type", "$pool", ...); the sink copies it.
  // An object that moves between collections (a VM becoming a template) is removed from
  // the old collection and upserted into the new one in the same batch.
  virtual void upsert(std::string_view collection, std::string_view id,
                      const rapidjson::Value& object) = 0;
  virtual void remove(std::string_view collection, std::string_view id) = 0;
  // The object `id` of `collection` as last upserted, as compact JSON in `*json` (members in
  // the order they were given); false when the sink does not hold it (never upserted,
  // removed, or not stored: a full cache). The model re-derives objects from it.
  virtual bool current(std::string_view collection, std::string_view id, std::string* json) const = 0;
  virtual void end_batch() = 0;
};

}  // namespace xr::xo

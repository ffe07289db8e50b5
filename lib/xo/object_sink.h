// ObjectSink: where the XO model (lib/xo) delivers the XO objects it derives from XAPI
// records; the object cache's writer (lib/cache) implements it. Called from the poller's
// pool thread only, one batch at a time (prepare() excepted: any thread). Header only (the
// cache implements it without linking lib/xo).
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

  // Upserts in two steps, so that a big batch renders its objects on several threads:
  // prepare() turns an object into what the sink stores (pure: any thread, concurrently
  // with any other call), upsert_prepared() stores it as upsert() would (pool thread).
  // By default the prepared form is the object's compact JSON, parsed again to be upserted
  // (an object JSON cannot hold, e.g. a NaN, is upserted as null).
  struct Prepared {
    std::string data;
    bool ok = true;  // false: `data` says why the object cannot be stored
  };
  virtual void prepare(std::string_view id, const rapidjson::Value& object, Prepared* out) const {
    (void)id;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    out->ok = object.Accept(w);
    out->data.assign(buf.GetString(), buf.GetSize());
  }
  virtual void upsert_prepared(std::string_view collection, std::string_view id, Prepared& p) {
    rapidjson::Document doc;
    // Full precision: every number reads back as the value that was written.
    if (p.ok) doc.Parse<rapidjson::kParseFullPrecisionFlag>(p.data.data(), p.data.size());
    if (!p.ok || doc.HasParseError()) doc.SetNull();
    upsert(collection, id, doc);
  }
};

}  // namespace xr::xo

#include "records_json.h"

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

namespace xr::xotools {
namespace {

xapi::Value to_value(const rapidjson::Value& j) {
  if (j.IsString()) return xapi::Value::string(std::string(j.GetString(), j.GetStringLength()));
  if (j.IsBool()) return xapi::Value::boolean(j.GetBool());
  if (j.IsInt64()) return xapi::Value::integer(j.GetInt64());
  if (j.IsNumber()) return xapi::Value::real(j.GetDouble());
  if (j.IsArray()) {
    xapi::Value::Array a;
    a.reserve(j.Size());
    for (const auto& e : j.GetArray()) a.push_back(to_value(e));
    return xapi::Value::array(std::move(a));
  }
  if (j.IsObject()) {
    xapi::Value s = xapi::Value::structure();
    for (const auto& m : j.GetObject()) {
      s.add_member(std::string(m.name.GetString(), m.name.GetStringLength()), to_value(m.value));
    }
    return s;
  }
  return xapi::Value();
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorKind::kIo, "cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<xapi::EventBatch> batch_from_records_json(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    return Status(ErrorKind::kProtocol, "records dump is not a JSON object");
  }
  xapi::EventBatch batch;
  batch.full_resync = true;
  for (const auto& cls : d.GetObject()) {
    if (!cls.value.IsObject()) continue;
    for (const auto& rec : cls.value.GetObject()) {
      batch.events.push_back(
          xapi::Event{cls.name.GetString(), "add", rec.name.GetString(), to_value(rec.value)});
    }
  }
  return batch;
}

}  // namespace xr::xotools

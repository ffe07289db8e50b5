// libFuzzer target for lib/filter: the first line of the input is a filter, the rest an
// optional JSON document. Compiles the filter and evaluates it on that document and on a
// fixed XO-VM-shaped object. Any crash, sanitizer report or stall is a bug.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/rapidjson_view.h"
#include "filter/filter.h"

namespace {

const char kVm[] = R"({"name_label":"web-prod-01 ΣΟΦΙΑ","power_state":"Running","tags":["prod","web","😀"],
  "CPUs":{"max":4,"number":2},"memory":{"size":4294967296,"dynamic":[1,2]},"auto_poweron":true,
  "startTime":null,"snapshots":["s1",[10],[[]],{"length":2,"0":"a","1":"b"}],"other":{"xo:backup:job":"j1"},
  "n":"  0x1F ","e":"","z":0,"x":[7]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string_view filter_text = input.substr(0, nl);
  auto filter = xr::filter::Filter::compile(filter_text);
  if (!filter.is_ok()) return 0;
  rapidjson::Document vm;
  vm.Parse(kVm);
  (void)filter->matches(xr::RapidJsonView(&vm));
  if (nl != std::string_view::npos) {
    std::string json(input.substr(nl + 1));
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(json.c_str());
    if (!doc.HasParseError()) (void)filter->matches(xr::RapidJsonView(&doc));
  }
  return 0;
}

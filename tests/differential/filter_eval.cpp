// filter_eval: the C++ side of the filter differential test. Reads JSON lines
// {"filter": "...", "objects": [...]} on stdin and prints, per line, one character per object
// ('1' match, '0' no match), or "E<message>" when the filter does not compile.
#include <rapidjson/document.h>

#include <iostream>
#include <string>

#include "base/rapidjson_view.h"
#include "filter/filter.h"

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseFullPrecisionFlag>(line.c_str(), line.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("filter") || !doc.HasMember("objects")) {
      std::cout << "Xbad input line\n";
      continue;
    }
    const auto& f = doc["filter"];
    auto filter = xr::filter::Filter::compile(std::string_view(f.GetString(), f.GetStringLength()));
    if (!filter.is_ok()) {
      std::string msg = filter.status().message();
      for (char& c : msg) c = c == '\n' ? ' ' : c;
      std::cout << 'E' << msg << '\n';
      continue;
    }
    // Alternate the two entry points: a Matcher (hints learnt on differently shaped objects)
    // and the one-shot matches(); they must agree with complex-matcher either way.
    auto matcher = filter->matcher<xr::RapidJsonView>();
    std::string out;
    bool use_matcher = (doc["filter"].GetStringLength() % 2) == 0;
    for (const auto& o : doc["objects"].GetArray()) {
      xr::RapidJsonView view(&o);
      out.push_back((use_matcher ? matcher(view) : filter->matches(view)) ? '1' : '0');
    }
    std::cout << out << '\n';
  }
  return 0;
}

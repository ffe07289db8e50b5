// XO's `markdown=true` list output (rest-api's makeMarkdownTable): a pipe table whose columns
// are the keys of the first element minus "href"; one URL per line for lists of hrefs;
// "No results." for an empty list. Cells: strings as they are, null/absent empty, objects and
// arrays as compact JSON, numbers and booleans as their JSON text; "|" becomes "\|" and "\n"
// a space. Lines are joined by "\n" with no final newline (as XO). Worker request thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace xr::app {

class MarkdownTable {
 public:
  // One list element, as the JSON list would carry it: a JSON string (an href) or a JSON
  // object text. Appends its line (and the header lines before the first row) to `out`.
  void add(std::string_view element_json, std::string& out);
  // Appends "No results." when nothing was added.
  void finish(std::string& out) const;
  bool empty() const { return !started_; }

 private:
  bool started_ = false;
  std::vector<std::string> headers_;
};

}  // namespace xr::app

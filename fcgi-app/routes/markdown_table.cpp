#include "routes/markdown_table.h"

#include <utility>

#include "cache/json_scan.h"

namespace xr::app {

namespace {

namespace scan = cache::scan;

std::string decode_string(const char* p, const char* end) {
  std::string s;
  scan::unescape(p, end, &s);
  return s;
}

// XO's escapeCell: "|" -> "\|", "\n" -> " " (a carriage return stays).
void append_cell(std::string_view text, std::string& out) {
  for (char c : text) {
    if (c == '|') {
      out.append("\\|");
    } else if (c == '\n') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
}

// The cell text of one JSON value: strings decoded, null empty, the rest as JSON text.
void append_value(const char* v, const char* end, std::string& out) {
  if (v == end) return;
  if (*v == '"') {
    append_cell(decode_string(v, end), out);
  } else if (std::string_view(v, static_cast<size_t>(end - v)) != "null") {
    append_cell(std::string_view(v, static_cast<size_t>(end - v)), out);
  }
}

}  // namespace

void MarkdownTable::add(std::string_view element_json, std::string& out) {
  const char* p = element_json.data();
  const char* end = p + element_json.size();
  const bool first = !started_;
  started_ = true;
  if (p == end || *p != '{') {  // an href: one URL per line
    if (!first) out.push_back('\n');
    if (p != end && *p == '"') {
      out.append(decode_string(p, end));
    } else {
      out.append(element_json);
    }
    return;
  }
  std::vector<std::pair<std::string, std::string_view>> members;
  scan::ContainerCursor cursor(p, end);
  std::string_view key;
  const char* value = nullptr;
  const char* value_end = nullptr;
  while (cursor.next(&key, &value, &value_end)) {
    members.emplace_back(decode_string(key.data(), key.data() + key.size()),
                         std::string_view(value, static_cast<size_t>(value_end - value)));
  }
  if (first) {
    for (const auto& [k, v] : members) {
      if (k != "href") headers_.push_back(k);
    }
    out.append("| ");
    for (size_t i = 0; i < headers_.size(); ++i) out.append(i == 0 ? "" : " | ").append(headers_[i]);
    out.append(" |\n| ");
    for (size_t i = 0; i < headers_.size(); ++i) out.append(i == 0 ? "---" : " | ---");
    out.append(" |");
  }
  out.append("\n| ");
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (i > 0) out.append(" | ");
    for (const auto& [k, v] : members) {
      if (k == headers_[i]) {
        append_value(v.data(), v.data() + v.size(), out);
        break;
      }
    }
  }
  out.append(" |");
}

void MarkdownTable::finish(std::string& out) const {
  if (!started_) out.append("No results.");
}

}  // namespace xr::app

#include "xo/record.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <string>

namespace xr::xo {

Rec::Rec(const xapi::Value& v) {
  auto s = v.as_struct();
  if (!s.is_ok()) return;
  index_.reserve((*s)->size());
  for (const xapi::Member& m : **s) index_.emplace_back(m.name, &m.value);
  std::sort(index_.begin(), index_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

const xapi::Value* Rec::get(std::string_view name) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  return it != index_.end() && it->first == name ? it->second : nullptr;
}

std::string_view text_of(const xapi::Value* v) {
  if (!v) return {};
  auto s = v->as_string();
  return s.is_ok() ? *s : std::string_view{};
}

bool is_null_ref(std::string_view ref) { return ref.empty() || ref == "OpaqueRef:NULL"; }

std::string_view Rec::str(std::string_view name) const { return text_of(get(name)); }

int64_t Rec::int_or(std::string_view name, int64_t dflt) const {
  const xapi::Value* v = get(name);
  if (!v) return dflt;
  auto i = v->as_int();
  if (i.is_ok()) return *i;
  auto d = v->as_double();
  return d.is_ok() ? static_cast<int64_t>(*d) : dflt;
}

double Rec::num_or(std::string_view name, double dflt) const {
  const xapi::Value* v = get(name);
  if (!v) return dflt;
  auto d = v->as_double();
  return d.is_ok() ? *d : dflt;
}

bool Rec::boolean(std::string_view name) const { return opt_bool(name).value_or(false); }

std::optional<bool> Rec::opt_bool(std::string_view name) const {
  const xapi::Value* v = get(name);
  if (!v) return std::nullopt;
  auto b = v->as_bool();
  if (b.is_ok()) return *b;
  std::string_view t = text_of(v);  // lenient: some encoders send "true"
  if (t == "true") return true;
  if (t == "false") return false;
  return std::nullopt;
}

std::string_view Rec::map_str(std::string_view name, std::string_view key) const {
  const xapi::Value* m = get(name);
  return m ? text_of(m->get(key)) : std::string_view{};
}

bool Rec::map_has(std::string_view name, std::string_view key) const {
  const xapi::Value* m = get(name);
  return m && m->get(key) != nullptr;
}

std::string_view Rec::ref(std::string_view name) const {
  std::string_view r = str(name);
  return is_null_ref(r) ? std::string_view{} : r;
}

std::vector<std::string_view> Rec::strings(std::string_view name) const {
  std::vector<std::string_view> out;
  const xapi::Value* v = get(name);
  if (!v) return out;
  auto a = v->as_array();
  if (!a.is_ok()) return out;
  out.reserve((*a)->size());
  for (const xapi::Value& e : **a) out.push_back(text_of(&e));
  return out;
}

std::vector<std::pair<std::string_view, std::string_view>> Rec::pairs(std::string_view name) const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  const xapi::Value* v = get(name);
  if (!v) return out;
  auto s = v->as_struct();
  if (!s.is_ok()) return out;
  out.reserve((*s)->size());
  for (const xapi::Member& m : **s) out.emplace_back(m.name, text_of(&m.value));
  return out;
}

namespace {

bool read_digits(std::string_view& s, int n, int& out) {
  if (s.size() < static_cast<size_t>(n)) return false;
  auto r = std::from_chars(s.data(), s.data() + n, out);
  if (r.ec != std::errc() || r.ptr != s.data() + n) return false;
  s.remove_prefix(n);
  return true;
}

void skip(std::string_view& s, char c) {
  if (!s.empty() && s.front() == c) s.remove_prefix(1);
}

}  // namespace

std::optional<double> parse_xapi_time(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!read_digits(s, 4, y)) return std::nullopt;
  skip(s, '-');
  if (!read_digits(s, 2, mo)) return std::nullopt;
  skip(s, '-');
  if (!read_digits(s, 2, d)) return std::nullopt;
  if (s.empty() || (s.front() != 'T' && s.front() != ' ')) return std::nullopt;
  s.remove_prefix(1);
  if (!read_digits(s, 2, h)) return std::nullopt;
  skip(s, ':');
  if (!read_digits(s, 2, mi)) return std::nullopt;
  skip(s, ':');
  if (!read_digits(s, 2, sec)) return std::nullopt;
  double frac = 0;
  if (!s.empty() && s.front() == '.') {
    size_t n = 1;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    frac = std::strtod(std::string(s.substr(0, n)).c_str(), nullptr);
    s.remove_prefix(n);
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  double t = static_cast<double>(timegm(&tm)) + frac;
  if (!s.empty() && s.front() != 'Z') {  // "+01:00" style offsets
    int sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
    int oh = 0, om = 0;
    if (read_digits(s, 2, oh)) {
      skip(s, ':');
      read_digits(s, 2, om);
      t -= sign * (oh * 3600 + om * 60);
    }
  }
  if (t == 0) return std::nullopt;
  return t;
}

}  // namespace xr::xo

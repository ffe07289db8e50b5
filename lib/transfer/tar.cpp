#include "transfer/tar.h"

#include <algorithm>

namespace xr::transfer {
namespace {

Status bad(std::string what) { return Status(ErrorKind::kInvalidArgument, "tar " + std::move(what)); }

// A NUL- or space-terminated octal field; false if a non-octal digit comes first.
bool parse_octal(std::string_view f, uint64_t* out) {
  size_t i = 0;
  while (i < f.size() && f[i] == ' ') ++i;
  uint64_t v = 0;
  bool any = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (v >> 61) return false;
    v = v * 8 + static_cast<uint64_t>(f[i] - '0');
    any = true;
  }
  if (i < f.size() && f[i] != ' ' && f[i] != '\0') return false;
  *out = v;
  return any;
}

// GNU base-256: first byte 0x80, then big-endian bytes.
bool parse_size(std::string_view f, uint64_t* out) {
  if (static_cast<unsigned char>(f[0]) == 0x80) {
    uint64_t v = 0;
    for (size_t i = 1; i < f.size(); ++i) {
      if (v >> 56) return false;
      v = (v << 8) | static_cast<unsigned char>(f[i]);
    }
    *out = v;
    return true;
  }
  return parse_octal(f, out);
}

std::string c_string(std::string_view f) { return std::string(f.substr(0, f.find('\0'))); }

}  // namespace

bool is_zero_block(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

Result<TarHeader> parse_tar_header(std::string_view b) {
  if (b.size() != kTarBlock) return bad("header: need 512 bytes");
  uint64_t stored = 0;
  if (!parse_octal(b.substr(148, 8), &stored)) return bad("header: checksum field is not octal");
  // The sum with the checksum field read as spaces, over unsigned bytes (POSIX) or, as
  // some old writers did, signed ones.
  int64_t sum_u = 8 * ' ', sum_s = 8 * ' ';
  for (size_t i = 0; i < kTarBlock; ++i) {
    if (i >= 148 && i < 156) continue;
    sum_u += static_cast<unsigned char>(b[i]);
    sum_s += static_cast<signed char>(b[i]);
  }
  if (static_cast<int64_t>(stored) != sum_u && static_cast<int64_t>(stored) != sum_s)
    return bad("header: checksum mismatch (corrupt archive, or not a tar)");
  TarHeader h;
  h.name = c_string(b.substr(0, 100));
  if (b.substr(257, 5) == "ustar") {
    std::string prefix = c_string(b.substr(345, 155));
    if (!prefix.empty()) h.name = prefix + "/" + h.name;
  }
  if (!parse_size(b.substr(124, 12), &h.size)) return bad("header of '" + h.name + "': bad size field");
  h.type = b[156];
  return h;
}

}  // namespace xr::transfer

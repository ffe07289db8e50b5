// Helpers of the transfer unit tests: a temp dir, files, small tar/XVA and VHD images.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "transfer/tar.h"
#include "transfer/vhd_layout.h"

namespace xr::transfer::test {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/xr-transfer-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name, const std::string& bytes) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string path;
};

inline std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One V7 tar header (as xapi writes: mode 0400, no ustar magic).
inline std::string tar_header(const std::string& name, size_t size) {
  std::string h(kTarBlock, '\0');
  name.copy(h.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0400);
  std::snprintf(h.data() + 108, 8, "%07o", 0);
  std::snprintf(h.data() + 116, 8, "%07o", 0);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(h.data() + 136, 12, "%011o", 0);
  h.replace(148, 8, 8, ' ');
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

inline std::string tar_entry(const std::string& name, const std::string& data) {
  std::string e = tar_header(name, data.size()) + data;
  e.append(tar_padded(data.size()) - data.size(), '\0');
  return e;
}

// A minimal XVA: ova.xml, one 1 KiB chunk and its checksum, the two end blocks.
inline std::string small_xva() {
  return tar_entry("ova.xml", "<value><struct></struct></value>") +
         tar_entry("Ref:1/00000000", std::string(1024, 'x')) +
         tar_entry("Ref:1/00000000.xxhash", "0123456789ABCDEF") + std::string(2 * kTarBlock, '\0');
}

// A dynamic VHD of `size` bytes whose allocated blocks are `blocks`, each filled with
// its index + 1.
inline std::string make_vhd(uint64_t size, std::vector<uint32_t> blocks) {
  VhdUid uid{};
  uid[0] = 7;
  VhdLayout layout(size, std::move(blocks), uid);
  std::string out = layout.head();
  for (size_t i = 0; i < layout.blocks().size(); ++i) {
    out += VhdLayout::bitmap();
    out.append(kVhdBlockSize, static_cast<char>(layout.blocks()[i] + 1));
  }
  out += layout.tail();
  return out;
}

inline int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

}  // namespace xr::transfer::test

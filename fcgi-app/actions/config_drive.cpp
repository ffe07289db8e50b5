#include "actions/config_drive.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace xr::app::actions {

namespace {

constexpr size_t kSector = 512;
constexpr size_t kSectorsPerCluster = 4;
constexpr size_t kCluster = kSector * kSectorsPerCluster;
constexpr size_t kReserved = 1;
constexpr size_t kFatSectors = 20;
constexpr size_t kRootEntries = 512;
constexpr size_t kRootSectors = kRootEntries * 32 / kSector;
constexpr size_t kDataStart = kReserved + 2 * kFatSectors + kRootSectors;  // first data sector
constexpr uint16_t kDate = ((2024 - 1980) << 9) | (1 << 5) | 1;          // 2024-01-01

void put16(std::string& b, size_t at, uint16_t v) {
  b[at] = static_cast<char>(v & 0xff);
  b[at + 1] = static_cast<char>(v >> 8);
}
void put32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

struct Entry {
  std::string name;    // long name
  std::string short_;  // 11 bytes, 8.3 padded
  bool dir = false;
  std::string content;                 // files
  std::vector<Entry> children;         // directories
  uint16_t cluster = 0;
};

uint8_t checksum(const std::string& short_name) {
  uint8_t sum = 0;
  for (unsigned char c : short_name) sum = static_cast<uint8_t>(((sum & 1) ? 0x80 : 0) + (sum >> 1) + c);
  return sum;
}

// 32-byte directory records: the VFAT long-name entries (last part first), then the 8.3 one.
std::string records_of(const Entry& e) {
  std::string out;
  std::u16string name16(e.name.begin(), e.name.end());  // ASCII names only
  const size_t parts = (name16.size() + 12) / 13;
  const uint8_t sum = checksum(e.short_);
  for (size_t p = parts; p-- > 0;) {
    std::string r(32, '\0');
    r[0] = static_cast<char>((p + 1) | (p + 1 == parts ? 0x40 : 0));
    r[11] = 0x0f;
    r[13] = static_cast<char>(sum);
    static const int kOffsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    for (int i = 0; i < 13; ++i) {
      const size_t at = p * 13 + static_cast<size_t>(i);
      uint16_t ch = at < name16.size() ? static_cast<uint16_t>(name16[at]) : (at == name16.size() ? 0 : 0xffff);
      put16(r, static_cast<size_t>(kOffsets[i]), ch);
    }
    out += r;
  }
  std::string r(32, '\0');
  std::memcpy(r.data(), e.short_.data(), 11);
  r[11] = e.dir ? 0x10 : 0x20;
  put16(r, 16, kDate);  // creation date
  put16(r, 18, kDate);  // last access
  put16(r, 24, kDate);  // write date
  put16(r, 26, e.cluster);
  put32(r, 28, e.dir ? 0 : static_cast<uint32_t>(e.content.size()));
  return out + r;
}

std::string dot_entry(const char* name, uint16_t cluster) {
  std::string r(32, '\0');
  std::memset(r.data(), ' ', 11);
  std::memcpy(r.data(), name, std::strlen(name));
  r[11] = 0x10;
  put16(r, 16, kDate);
  put16(r, 24, kDate);
  put16(r, 26, cluster);
  return r;
}

class Volume {
 public:
  Volume() : img_(kConfigDriveSize, '\0'), next_(2) {}

  // Clusters for `bytes` (at least one), chained in both FATs; returns the first.
  uint16_t allocate(size_t bytes) {
    const size_t n = bytes == 0 ? 1 : (bytes + kCluster - 1) / kCluster;
    const uint16_t first = next_;
    for (size_t i = 0; i < n; ++i) {
      const uint16_t c = static_cast<uint16_t>(next_ + i);
      set_fat(c, i + 1 == n ? 0xffff : static_cast<uint16_t>(c + 1));
    }
    next_ = static_cast<uint16_t>(next_ + n);
    return first;
  }
  void write_cluster_data(uint16_t first, const std::string& data) {
    std::memcpy(img_.data() + offset_of(first), data.data(), data.size());
  }
  void write_root(const std::string& records) {
    std::memcpy(img_.data() + (kReserved + 2 * kFatSectors) * kSector, records.data(), records.size());
  }
  std::string& image() { return img_; }

  void boot_sector() {
    std::string& b = img_;
    const unsigned char jmp[3] = {0xeb, 0x3c, 0x90};
    std::memcpy(b.data(), jmp, 3);
    std::memcpy(b.data() + 3, "mkfs.fat", 8);
    put16(b, 11, kSector);
    b[13] = static_cast<char>(kSectorsPerCluster);
    put16(b, 14, kReserved);
    b[16] = 2;
    put16(b, 17, kRootEntries);
    put16(b, 19, static_cast<uint16_t>(kConfigDriveSize / kSector));
    b[21] = static_cast<char>(0xf8);
    put16(b, 22, kFatSectors);
    put16(b, 24, 32);  // sectors per track
    put16(b, 26, 64);  // heads
    b[36] = static_cast<char>(0x80);
    b[38] = 0x29;
    put32(b, 39, 895111106u);
    std::memcpy(b.data() + 43, "cidata     ", 11);
    std::memcpy(b.data() + 54, "FAT16   ", 8);
    b[510] = 0x55;
    b[511] = static_cast<char>(0xaa);
    set_fat(0, 0xfff8);
    set_fat(1, 0xffff);
  }

 private:
  void set_fat(uint16_t cluster, uint16_t value) {
    for (size_t f = 0; f < 2; ++f) put16(img_, (kReserved + f * kFatSectors) * kSector + cluster * 2u, value);
  }
  static size_t offset_of(uint16_t cluster) { return (kDataStart + (cluster - 2u) * kSectorsPerCluster) * kSector; }

  std::string img_;
  uint16_t next_;
};

// Lays out a directory's children (clusters first, then its records); returns the records.
std::string layout(Volume& v, std::vector<Entry>& children, uint16_t self, uint16_t parent, bool root) {
  for (Entry& e : children) {
    if (e.dir) {
      // a directory's own cluster first, then what it holds
      e.cluster = v.allocate(kCluster);
    } else if (!e.content.empty()) {
      e.cluster = v.allocate(e.content.size());
      v.write_cluster_data(e.cluster, e.content);
    }
  }
  for (Entry& e : children) {
    if (e.dir) v.write_cluster_data(e.cluster, layout(v, e.children, e.cluster, root ? 0 : self, false));
  }
  std::string records;
  if (!root) records = dot_entry(".", self) + dot_entry("..", parent);
  for (const Entry& e : children) records += records_of(e);
  return records;
}

Entry file(std::string name, std::string short_name, std::string_view content) {
  Entry e;
  e.name = std::move(name);
  e.short_ = std::move(short_name);
  e.content = std::string(content);
  return e;
}

Entry dir(std::string name, std::string short_name, std::vector<Entry> children) {
  Entry e;
  e.name = std::move(name);
  e.short_ = std::move(short_name);
  e.dir = true;
  e.children = std::move(children);
  return e;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string make_config_drive(std::string_view vm_uuid, std::string_view user_data,
                              std::string_view network_config, bool with_mbr) {
  std::vector<Entry> root;
  root.push_back(file("meta-data", "META-D~1   ", "instance-id: " + std::string(vm_uuid) + "\n"));
  root.push_back(file("user-data", "USER-D~1   ", user_data));
  if (!network_config.empty()) root.push_back(file("network-config", "NETWOR~1   ", network_config));
  root.push_back(dir("openstack", "OPENST~1   ",
                     {dir("latest", "LATEST     ",
                          {file("meta_data.json", "META_D~1JSO", "{\"uuid\":\"" + json_escape(vm_uuid) + "\"}"),
                           file("user_data", "USER_D~1   ", user_data)})}));
  Volume v;
  v.boot_sector();
  std::string records;
  {
    std::string label(32, '\0');
    std::memcpy(label.data(), "cidata     ", 11);
    label[11] = 0x08;  // volume label
    put16(label, 24, kDate);
    records = label;
  }
  records += layout(v, root, 0, 0, true);
  v.write_root(records);
  std::string img = std::move(v.image());
  if (!with_mbr) return img;
  std::string mbr(kSector, '\0');
  mbr[446] = static_cast<char>(0x80);
  mbr[450] = 0x0e;  // FAT16 LBA
  put32(mbr, 454, 1);
  put32(mbr, 458, static_cast<uint32_t>(img.size() / kSector + 1));
  mbr[510] = 0x55;
  mbr[511] = static_cast<char>(0xaa);
  return mbr + img;
}

}  // namespace xr::app::actions

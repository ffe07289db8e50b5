// Realistic XO-shaped objects (reference §c: VM, VBD, VDI, VIF) for the cache tests and the
// cache benchmark. Deterministic for a given index. Header only; test code.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace xr::cache::samples {

using Alloc = rapidjson::Document::AllocatorType;

inline std::string uuid_for(unsigned kind, unsigned i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, kind, i % 4096,
                (i * 7) % 4096, i * 40503u + kind);
  return buf;
}
inline std::string ref_for(unsigned kind, unsigned i) { return "OpaqueRef:" + uuid_for(kind + 100, i); }

inline rapidjson::Value str(const std::string& s, Alloc& a) { return rapidjson::Value(s.c_str(), a); }

inline void add(rapidjson::Value& o, const char* k, rapidjson::Value& v, Alloc& a) {
  o.AddMember(rapidjson::Value(k, a), v, a);
}
inline void add(rapidjson::Value& o, const char* k, rapidjson::Value&& v, Alloc& a) { add(o, k, v, a); }
inline void add(rapidjson::Value& o, const char* k, const std::string& s, Alloc& a) { add(o, k, str(s, a), a); }

inline rapidjson::Value string_map(Alloc& a, std::initializer_list<std::pair<const char*, std::string>> kv) {
  rapidjson::Value m(rapidjson::kObjectType);
  for (const auto& [k, v] : kv) add(m, k, v, a);
  return m;
}

inline void add_common(rapidjson::Value& o, const std::string& type, const std::string& id,
                       const std::string& pool, const std::string& ref, Alloc& a) {
  add(o, "type", type, a);
  add(o, "id", id, a);
  add(o, "uuid", id, a);
  add(o, "$pool", pool, a);
  add(o, "$poolId", pool, a);
  add(o, "_xapiRef", ref, a);
}

// A VM in XO's full shape: about 4 KB of JSON.
inline rapidjson::Value make_vm(unsigned i, const std::string& pool, Alloc& a) {
  rapidjson::Value o(rapidjson::kObjectType);
  bool running = i % 3 != 0;
  add(o, "addresses", string_map(a, {{"0/ipv4/0", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250)},
                                      {"0/ipv6/0", "fe80::" + std::to_string(i) + ":1"}}), a);
  add(o, "affinityHost", rapidjson::Value(), a);
  add(o, "auto_poweron", rapidjson::Value(i % 5 == 0), a);
  add(o, "bios_strings", string_map(a, {{"bios-vendor", "Xen"}, {"bios-version", ""}, {"system-manufacturer", "Xen"},
                                         {"system-product-name", "HVM domU"}, {"system-version", ""},
                                         {"system-serial-number", ""}, {"hp-rombios", ""}, {"oem-1", "Xen"},
                                         {"oem-2", "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d"}}), a);
  add(o, "blockedOperations", string_map(a, {{"migrate_send", "VM_HAS_PCI"}}), a);
  add(o, "boot", string_map(a, {{"firmware", i % 2 ? "uefi" : "bios"}, {"order", "cdn"}}), a);
  rapidjson::Value cpus(rapidjson::kObjectType);
  add(cpus, "max", rapidjson::Value(4), a);
  add(cpus, "number", rapidjson::Value(1 + i % 4), a);
  add(o, "CPUs", cpus, a);
  add(o, "current_operations", rapidjson::Value(rapidjson::kObjectType), a);
  add(o, "expNestedHvm", rapidjson::Value(false), a);
  add(o, "viridian", rapidjson::Value(true), a);
  add(o, "high_availability", "", a);
  add(o, "isFirmwareSupported", rapidjson::Value(true), a);
  add(o, "memory", [&] {
    rapidjson::Value m(rapidjson::kObjectType);
    rapidjson::Value dyn(rapidjson::kArrayType), st(rapidjson::kArrayType);
    dyn.PushBack(uint64_t{1073741824}, a).PushBack(uint64_t{2147483648}, a);
    st.PushBack(uint64_t{536870912}, a).PushBack(uint64_t{4294967296}, a);
    add(m, "dynamic", dyn, a);
    add(m, "static", st, a);
    add(m, "size", rapidjson::Value(uint64_t{2147483648}), a);
    add(m, "usage", rapidjson::Value(uint64_t{1073741824} + i * uint64_t{4096}), a);
    return m;
  }(), a);
  add(o, "installTime", rapidjson::Value(1700000000 + i), a);
  add(o, "name_description", "Generated VM number " + std::to_string(i) + " for the benchmark", a);
  add(o, "name_label", "vm-" + std::to_string(i) + (i % 7 == 0 ? " \"quoted\" \xc3\xa9t\xc3\xa9" : ""), a);
  add(o, "needsVtpm", rapidjson::Value(false), a);
  add(o, "other", string_map(a, {{"auto_poweron", i % 5 == 0 ? "true" : "false"}, {"base_template_name", "Debian Bookworm 12"},
                                  {"import_task", ref_for(9, i)}, {"install-methods", "cdrom,nfs,http,ftp"},
                                  {"linux_template", "true"}, {"mac_seed", uuid_for(8, i)},
                                  {"xo:creation", "{\"date\":\"2024-01-01\",\"user\":\"admin\"}"}}), a);
  add(o, "os_version", running ? string_map(a, {{"name", "Debian GNU/Linux 12 (bookworm)"}, {"uname", "6.1.0-18-amd64"},
                                                {"distro", "debian"}, {"major", "12"}, {"minor", "5"}})
                               : rapidjson::Value(), a);
  add(o, "power_state", running ? "Running" : "Halted", a);
  add(o, "hasVendorDevice", rapidjson::Value(false), a);
  rapidjson::Value snaps(rapidjson::kArrayType);
  add(o, "snapshots", snaps, a);
  add(o, "startDelay", rapidjson::Value(0), a);
  add(o, "startTime", running ? rapidjson::Value(1710000000.5 + i) : rapidjson::Value(), a);
  add(o, "secureBoot", rapidjson::Value(false), a);
  rapidjson::Value tags(rapidjson::kArrayType);
  tags.PushBack(str(i % 2 ? "prod" : "dev", a), a).PushBack(str("team-" + std::to_string(i % 10), a), a);
  add(o, "tags", tags, a);
  rapidjson::Value vifs(rapidjson::kArrayType);
  vifs.PushBack(str(uuid_for(4, i), a), a);
  add(o, "VIFs", vifs, a);
  add(o, "VTPMs", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "virtualizationMode", "hvm", a);
  add(o, "xenStoreData", string_map(a, {{"vm-data", ""}, {"vm-data/mmio-hole-size", "268435456"}}), a);
  add(o, "coresPerSocket", rapidjson::Value(1), a);
  if (running) {
    add(o, "managementAgentDetected", rapidjson::Value(true), a);
    add(o, "pvDriversDetected", rapidjson::Value(true), a);
    add(o, "pvDriversVersion", "9.3.3-32", a);
    add(o, "pvDriversUpToDate", rapidjson::Value(true), a);
  }
  add(o, "creation", string_map(a, {{"date", "2024-01-01T00:00:00.000Z"}, {"user", uuid_for(7, 1)}}), a);
  add(o, "$container", running ? uuid_for(5, i % 3) : pool, a);
  rapidjson::Value vbds(rapidjson::kArrayType);
  vbds.PushBack(str(uuid_for(2, 2 * i), a), a).PushBack(str(uuid_for(2, 2 * i + 1), a), a);
  add(o, "$VBDs", vbds, a);
  add(o, "VGPUs", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "$VGPUs", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "vga", "std", a);
  add(o, "videoram", rapidjson::Value(8), a);
  add(o, "vulnerabilities", [&] {
    rapidjson::Value v(rapidjson::kObjectType);
    add(v, "xsa468", rapidjson::Value(false), a);
    return v;
  }(), a);
  add_common(o, "VM", uuid_for(1, i), pool, ref_for(1, i), a);
  return o;
}

inline rapidjson::Value make_vbd(unsigned i, const std::string& pool, Alloc& a) {
  rapidjson::Value o(rapidjson::kObjectType);
  add(o, "attached", rapidjson::Value(i % 3 != 0), a);
  add(o, "bootable", rapidjson::Value(i % 2 == 0), a);
  add(o, "device", "xvd" + std::string(1, static_cast<char>('a' + i % 2)), a);
  add(o, "is_cd_drive", rapidjson::Value(i % 2 == 1), a);
  add(o, "position", std::to_string(i % 2), a);
  add(o, "read_only", rapidjson::Value(false), a);
  add(o, "VDI", uuid_for(3, i), a);
  add(o, "VM", uuid_for(1, i / 2), a);
  add_common(o, "VBD", uuid_for(2, i), pool, ref_for(2, i), a);
  return o;
}

inline rapidjson::Value make_vdi(unsigned i, const std::string& pool, Alloc& a) {
  rapidjson::Value o(rapidjson::kObjectType);
  add(o, "missing", rapidjson::Value(false), a);
  add(o, "name_description", "Created by template provisioner", a);
  add(o, "name_label", "vm-" + std::to_string(i / 2) + " disk " + std::to_string(i % 2), a);
  add(o, "parent", rapidjson::Value(), a);
  add(o, "size", rapidjson::Value(uint64_t{10737418240}), a);
  add(o, "snapshots", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "tags", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "usage", rapidjson::Value(uint64_t{2147483648} + i), a);
  add(o, "VDI_type", "user", a);
  add(o, "current_operations", rapidjson::Value(rapidjson::kObjectType), a);
  add(o, "other_config", string_map(a, {{"content_id", uuid_for(10, i)}}), a);
  add(o, "$SR", uuid_for(6, i % 4), a);
  rapidjson::Value vbds(rapidjson::kArrayType);
  vbds.PushBack(str(uuid_for(2, i), a), a);
  add(o, "$VBDs", vbds, a);
  add(o, "image_format", "vhd", a);
  add_common(o, "VDI", uuid_for(3, i), pool, ref_for(3, i), a);
  return o;
}

inline rapidjson::Value make_vif(unsigned i, const std::string& pool, Alloc& a) {
  rapidjson::Value o(rapidjson::kObjectType);
  add(o, "allowedIpv4Addresses", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "allowedIpv6Addresses", rapidjson::Value(rapidjson::kArrayType), a);
  add(o, "attached", rapidjson::Value(true), a);
  add(o, "device", "0", a);
  add(o, "lockingMode", "network_default", a);
  char mac[32];
  std::snprintf(mac, sizeof mac, "02:00:%02x:%02x:%02x:%02x", (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255);
  add(o, "MAC", std::string(mac), a);
  add(o, "MTU", rapidjson::Value(1500), a);
  add(o, "other_config", rapidjson::Value(rapidjson::kObjectType), a);
  add(o, "txChecksumming", rapidjson::Value(true), a);
  add(o, "$network", uuid_for(11, 0), a);
  add(o, "$VM", uuid_for(1, i), a);
  add_common(o, "VIF", uuid_for(4, i), pool, ref_for(4, i), a);
  return o;
}

}  // namespace xr::cache::samples

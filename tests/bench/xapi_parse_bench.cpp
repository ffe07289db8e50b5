// Benchmark: decoding an event.from dump (XML-RPC vs JSON-RPC) with lib/xapi.
//   xapi_parse_bench XML_FILE JSON_FILE      runs every mode in a child process and
//                                            prints MB/s, records/s and peak RSS
//   xapi_parse_bench --generate N XML JSON   writes a synthetic N-VM dump (fallback)
// Baselines in the same run: libxml2 SAX with empty callbacks (the parser's floor) and
// libxml2's DOM (xmlReadFile), both on the same XML file. Each mode runs 3 times in a
// fresh process; the run with the least CPU time is shown, as wall-clock MB/s and as
// CPU MB/s (bytes / (user + system time)), the latter being stable on a busy machine.
#include <libxml/parser.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "xapi/event_loop.h"
#include "xapi/jsonrpc_reader.h"
#include "xapi/xmlrpc_reader.h"
#include "xapi/xmlrpc_writer.h"

extern char** environ;
using namespace xr;
using namespace xr::xapi;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Streams `path` through the library in 1 MiB chunks as the RPC path does (XML-RPC:
// push parser; JSON-RPC: a reader thread feeds a bounded pipe, this thread parses);
// `keep` keeps every Event.
int run_decoder(WireFormat format, const std::string& path, bool keep, size_t* records,
                uint64_t* bytes) {
  std::vector<Event> kept;
  size_t count = 0;
  StreamSpec spec{"events", [&](Value&& v) {
                    Result<Event> ev = event_from_value(std::move(v));
                    if (!ev.is_ok()) return ev.status();
                    ++count;
                    if (keep) kept.push_back(std::move(ev).value());
                    return Status::ok();
                  }};
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return 2;
  std::vector<char> buf(1 << 20);
  size_t n;
  *bytes = 0;
  Result<Value> r = Status(ErrorKind::kInternal, "unset");
  if (format == WireFormat::kXmlRpc) {
    auto decoder = make_response_decoder(format, {}, spec);
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      *bytes += n;
      if (!decoder->feed(std::string_view(buf.data(), n)).is_ok()) break;
    }
    r = decoder->finish();
  } else {
    ChunkPipe pipe;
    std::thread reader([&] {
      while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        *bytes += n;
        if (!pipe.push(std::string_view(buf.data(), n))) break;
      }
      pipe.close_producer();
    });
    r = jsonrpc_parse_pipe(pipe, {}, spec);
    reader.join();
  }
  std::fclose(f);
  if (!r.is_ok()) {
    std::cerr << r.status().to_string() << "\n";
    return 1;
  }
  *records = count;
  return 0;
}

void noop_chars(void*, const xmlChar*, int) {}
void noop_start(void*, const xmlChar*, const xmlChar*, const xmlChar*, int, const xmlChar**, int,
                int, const xmlChar**) {}
void noop_end(void*, const xmlChar*, const xmlChar*, const xmlChar*) {}

int run_sax_floor(const std::string& path, uint64_t* bytes) {
  xmlSAXHandler h;
  std::memset(&h, 0, sizeof h);
  h.initialized = XML_SAX2_MAGIC;
  h.startElementNs = noop_start;
  h.endElementNs = noop_end;
  h.characters = noop_chars;
  xmlParserCtxtPtr ctxt = xmlCreatePushParserCtxt(&h, nullptr, nullptr, 0, nullptr);
  FILE* f = std::fopen(path.c_str(), "rb");
  std::vector<char> buf(1 << 20);
  size_t n;
  *bytes = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    *bytes += n;
    xmlParseChunk(ctxt, buf.data(), static_cast<int>(n), 0);
  }
  xmlParseChunk(ctxt, nullptr, 0, 1);
  int ok = ctxt->wellFormed;
  xmlFreeParserCtxt(ctxt);
  std::fclose(f);
  return ok ? 0 : 1;
}

int child(const std::string& mode, const std::string& path) {
  size_t records = 0;
  uint64_t bytes = 0;
  double t0 = now_s();
  int rc;
  if (mode == "xml-stream")
    rc = run_decoder(WireFormat::kXmlRpc, path, false, &records, &bytes);
  else if (mode == "xml-keep")
    rc = run_decoder(WireFormat::kXmlRpc, path, true, &records, &bytes);
  else if (mode == "json-stream")
    rc = run_decoder(WireFormat::kJsonRpc, path, false, &records, &bytes);
  else if (mode == "json-keep")
    rc = run_decoder(WireFormat::kJsonRpc, path, true, &records, &bytes);
  else if (mode == "libxml2-sax-floor")
    rc = run_sax_floor(path, &bytes);
  else {
    xmlDocPtr doc = xmlReadFile(path.c_str(), nullptr, XML_PARSE_HUGE);
    bytes = read_file(path).size();
    rc = doc ? 0 : 1;
    xmlFreeDoc(doc);
  }
  double dt = now_s() - t0;
  std::printf("%.6f %zu %llu\n", dt, records, static_cast<unsigned long long>(bytes));
  return rc;
}

// A VM record shaped like xapi's (about 90 fields, maps, sets, refs).
Value fake_vm(int i) {
  auto ref = [](const char* cls, int n) {
    return Value::string(std::string("OpaqueRef:") + cls + "-" + std::to_string(n) +
                         "-6b1c-4f7e-9a2d-3c5e7f9a1b2c");
  };
  Value::Struct m;
  auto add = [&](const char* k, Value v) { m.push_back(Member{k, std::move(v)}); };
  add("uuid", Value::string("0c3e" + std::to_string(100000 + i) + "-aa11-4b2c-8d3e-5f6a7b8c9d0e"));
  add("allowed_operations",
      Value::array({Value::string("changing_dynamic_range"), Value::string("hard_shutdown"),
                    Value::string("pause"), Value::string("clean_reboot"),
                    Value::string("snapshot"), Value::string("suspend")}));
  add("current_operations", Value::structure());
  add("name_label", Value::string("vm-" + std::to_string(i) + " <web & db>"));
  add("name_description", Value::string("Synthetic VM number " + std::to_string(i)));
  add("power_state", Value::string(i % 3 ? "Running" : "Halted"));
  for (const char* k : {"user_version", "memory_overhead", "memory_target", "memory_static_max",
                        "memory_dynamic_max", "memory_dynamic_min", "memory_static_min",
                        "VCPUs_max", "VCPUs_at_startup", "domid", "start_delay", "shutdown_delay",
                        "order", "hardware_platform_version"})
    add(k, Value::string(std::to_string(4294967296LL + i)));
  add("is_a_template", Value::boolean(false));
  add("is_default_template", Value::boolean(false));
  add("is_control_domain", Value::boolean(false));
  add("is_a_snapshot", Value::boolean(false));
  add("HVM_shadow_multiplier", Value::real(1.0));
  add("snapshot_time", Value::datetime("19700101T00:00:00Z"));
  add("resident_on", ref("host", i % 16));
  add("affinity", ref("host", i % 16));
  add("metrics", ref("VM_metrics", i));
  add("guest_metrics", ref("VM_guest_metrics", i));
  add("VBDs", Value::array({ref("VBD", 2 * i), ref("VBD", 2 * i + 1)}));
  add("VIFs", Value::array({ref("VIF", i)}));
  add("platform", Value::structure({{"timeoffset", Value::string("0")},
                                    {"device-model", Value::string("qemu-upstream-compat")},
                                    {"videoram", Value::string("8")},
                                    {"hpet", Value::string("true")},
                                    {"secureboot", Value::string("false")},
                                    {"viridian", Value::string("true")},
                                    {"nx", Value::string("true")},
                                    {"acpi", Value::string("1")},
                                    {"apic", Value::string("true")},
                                    {"pae", Value::string("true")}}));
  add("other_config",
      Value::structure({{"base_template_name", Value::string("Debian Bookworm 12")},
                        {"import_task", Value::string("OpaqueRef:NULL")},
                        {"mac_seed", Value::string("e2f1a4c3-1b2d-4e5f-8a9b-0c1d2e3f4a5b")},
                        {"install-methods", Value::string("cdrom,nfs,http,ftp")},
                        {"linux_template", Value::string("true")}}));
  add("HVM_boot_params",
      Value::structure({{"order", Value::string("cdn")}, {"firmware", Value::string("bios")}}));
  add("tags",
      Value::array({Value::string("prod"), Value::string("team-" + std::to_string(i % 7))}));
  add("blocked_operations", Value::structure());
  add("bios_strings",
      Value::structure(
          {{"bios-vendor", Value::string("Xen")},
           {"bios-version", Value::string("")},
           {"system-manufacturer", Value::string("Xen")},
           {"system-product-name", Value::string("HVM domU")},
           {"system-serial-number", Value::string("")},
           {"hp-rombios", Value::string("")},
           {"oem-1", Value::string("Xen")},
           {"oem-2", Value::string("MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d")}}));
  for (const char* k : {"PV_bootloader",
                        "PV_kernel",
                        "PV_ramdisk",
                        "PV_args",
                        "PV_bootloader_args",
                        "PV_legacy_args",
                        "HVM_boot_policy",
                        "PCI_bus",
                        "domarch",
                        "last_booted_record",
                        "recommendations",
                        "xenstore_data",
                        "suspend_VDI",
                        "suspend_SR",
                        "parent",
                        "snapshot_of",
                        "protection_policy",
                        "snapshot_schedule",
                        "appliance",
                        "reference_label",
                        "domain_type",
                        "NVRAM",
                        "actions_after_shutdown",
                        "actions_after_reboot",
                        "actions_after_crash",
                        "generation_id",
                        "transportable_snapshot_id"})
    add(k, Value::string(std::string(k) == "HVM_boot_policy" ? "BIOS order" : "OpaqueRef:NULL"));
  return Value::structure(std::move(m));
}

int generate(int vms, const std::string& xml_path, const std::string& json_path) {
  Value::Array events;
  for (int i = 0; i < vms; ++i) {
    events.push_back(Value::structure({{"id", Value::string(std::to_string(1000 + i))},
                                       {"timestamp", Value::string("0.0")},
                                       {"class", Value::string("vm")},
                                       {"operation", Value::string("add")},
                                       {"ref", Value::string("OpaqueRef:vm-" + std::to_string(i))},
                                       {"snapshot", fake_vm(i)}}));
  }
  Value result =
      Value::structure({{"events", Value::array(std::move(events))},
                        {"valid_ref_counts", Value::structure({{"vm", Value::integer(vms)}})},
                        {"token", Value::string("00000000000000001000,00000000000000000000")}});
  std::string xml =
      "<?xml "
      "version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</"
      "name><value>Success</value></member><member><name>Value</name>";
  xmlrpc_append_value(&xml, result);
  xml += "</member></struct></value></param></params></methodResponse>";
  std::ofstream(xml_path, std::ios::binary) << xml;
  std::string json =
      jsonrpc_request("x", {result}, 1);  // {"jsonrpc","method","params":[result],"id"}
  size_t p = json.find("\"params\":[");
  json = "{\"jsonrpc\":\"2.0\",\"result\":" + json.substr(p + 10, json.size() - (p + 10) - 9) +
         ",\"id\":1}";
  std::ofstream(json_path, std::ios::binary) << json;
  return 0;
}

struct Run {
  double seconds = 0;
  size_t records = 0;
  uint64_t bytes = 0;
  long max_rss_kb = 0;
  double cpu_seconds = 0;  // user + system of the child: robust on a loaded machine
};

bool spawn_mode(const char* self, const std::string& mode, const std::string& file, Run* out) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::vector<std::string> args = {self, "--child", mode, file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, self, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) return false;
  char buf[256] = {0};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  unsigned long long bytes = 0;
  if (n <= 0 || std::sscanf(buf, "%lf %zu %llu", &out->seconds, &out->records, &bytes) != 3)
    return false;
  out->bytes = bytes;
  out->max_rss_kb = ru.ru_maxrss;
  out->cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--child") return child(argv[2], argv[3]);
  if (argc == 5 && std::string(argv[1]) == "--generate")
    return generate(std::stoi(argv[2]), argv[3], argv[4]);
  if (argc != 3) {
    std::cerr << "usage: xapi_parse_bench XML_FILE JSON_FILE | --generate N XML JSON\n";
    return 2;
  }
  const char* modes[][2] = {{"libxml2-sax-floor", argv[1]}, {"libxml2-dom", argv[1]},
                            {"xml-stream", argv[1]},        {"xml-keep", argv[1]},
                            {"json-stream", argv[2]},       {"json-keep", argv[2]}};
  std::printf("%-18s %7s %8s %10s %9s %11s %11s\n", "mode", "MB", "MB/s", "records/s", "CPU MB/s",
              "CPU rec/s", "peak RSS MB");
  for (auto& m : modes) {
    Run best;
    for (int rep = 0; rep < 3; ++rep) {
      Run r;
      if (!spawn_mode("/proc/self/exe", m[0], m[1], &r)) {
        std::printf("%-18s FAILED\n", m[0]);
        return 1;
      }
      if (rep == 0 || r.cpu_seconds < best.cpu_seconds) best = r;
    }
    double mb = best.bytes / 1e6;
    std::printf("%-18s %7.1f %8.1f %10.0f %9.1f %11.0f %11.1f\n", m[0], mb, mb / best.seconds,
                best.records / best.seconds, mb / best.cpu_seconds, best.records / best.cpu_seconds,
                best.max_rss_kb / 1024.0);
  }
  return 0;
}

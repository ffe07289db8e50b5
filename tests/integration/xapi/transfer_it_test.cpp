#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "it_helpers.h"
#include "xapi/http_transfer.h"

using namespace xr;
using namespace xr::xapi;
using namespace xr::xapi::test;

namespace {

constexpr int64_t kDisk = 8 << 20;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string default_sr(Session& s) {
  Result<Value> pools = s.call("pool.get_all_records", {});
  return std::string((**pools->as_struct()).front().value.get_string("default_SR"));
}

std::string new_vdi(Session& s, int64_t size) {
  Value rec = Value::structure({{"name_label", Value::string("it disk")},
                                {"name_description", Value::string("")},
                                {"SR", Value::string(default_sr(s))},
                                {"virtual_size", Value::string(std::to_string(size))},
                                {"type", Value::string("user")},
                                {"sharable", Value::boolean(false)},
                                {"read_only", Value::boolean(false)},
                                {"other_config", Value::structure()},
                                {"sm_config", Value::structure()},
                                {"tags", Value::array()},
                                {"xenstore_data", Value::structure()}});
  Result<Value> r = s.call("VDI.create", {rec});
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::string(*r->as_string());
}

std::string disk_path(const SimProcess& sim, Session& s, const std::string& vdi) {
  return sim.state_dir() + "/" +
         std::string(*s.call("VDI.get_uuid", {Value::string(vdi)})->as_string()) + ".raw";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

BodySink collect(std::string* out) {
  return [out](std::string_view c) {
    out->append(c);
    return Status::ok();
  };
}

UploadSource from_string(const std::string& data) {
  UploadSource src;
  src.size = static_cast<int64_t>(data.size());
  auto off = std::make_shared<size_t>(0);
  src.read = [&data, off](char* buf, size_t n) -> Result<size_t> {
    size_t k = std::min(n, data.size() - *off);
    std::memcpy(buf, data.data() + *off, k);
    *off += k;
    return k;
  };
  return src;
}

// A file of `prefix` then `data`, opened at the start of `data`: a source from an fd.
struct OpenFile {
  OpenFile(const TempDir& tmp, const std::string& prefix, const std::string& data) {
    std::string file = tmp.path() + "/upload.raw";
    { std::ofstream(file, std::ios::binary) << prefix << data; }
    fd = ::open(file.c_str(), O_RDONLY);
    BOOST_REQUIRE(fd >= 0);
    BOOST_REQUIRE_EQUAL(::lseek(fd, static_cast<off_t>(prefix.size()), SEEK_SET), static_cast<off_t>(prefix.size()));
  }
  ~OpenFile() { ::close(fd); }
  int fd = -1;
};

// A simulator, a session and an empty disk to upload into.
struct UploadTarget {
  SimProcess sim;
  Session s{options_for(sim)};
  std::string vdi = new_vdi(s, kDisk);
  TempDir tmp;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(xapi_transfer)

BOOST_AUTO_TEST_CASE(raw_vdi_download_equals_the_disk_file) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vdi = new_vdi(s, kDisk);
  std::string data = random_bytes(kDisk, 1);
  { std::ofstream(disk_path(sim, s, vdi), std::ios::binary | std::ios::trunc) << data; }
  std::string got;
  Result<TransferResult> r =
      download(s, "/export_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, collect(&got));
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(r->bytes, static_cast<uint64_t>(kDisk));
  BOOST_CHECK(got == data);
}

BOOST_AUTO_TEST_CASE(transfer_after_a_restart_uses_the_new_session) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vdi = new_vdi(s, kDisk);
  sim.control("restart", R"({"booting_seconds": 0})");
  std::string got;
  Result<TransferResult> r =
      download(s, "/export_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, collect(&got));
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(got.size(), static_cast<size_t>(kDisk));
}

BOOST_FIXTURE_TEST_CASE(raw_vdi_upload_from_an_fd_lands_in_the_disk, UploadTarget) {
  std::string data = random_bytes(kDisk, 2);
  OpenFile f(tmp, "", data);
  Result<TransferResult> r = upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}},
                                    UploadSource::from_fd(f.fd, kDisk));
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(*r->task_result.as_string(), vdi);
  BOOST_CHECK(read_all(disk_path(sim, s, vdi)) == data);
}

// The fd path (sendfile to an http:// XAPI) sends the file from its position, reports
// progress up to the size, and leaves the file position alone.
BOOST_FIXTURE_TEST_CASE(upload_from_an_fd_starts_at_its_position_and_reports_progress, UploadTarget) {
  std::string data = random_bytes(kDisk, 5);
  OpenFile f(tmp, std::string(4097, 'x'), data);
  UploadSource src = UploadSource::from_fd(f.fd, kDisk);
  BOOST_CHECK_EQUAL(src.fd, f.fd);
  BOOST_CHECK_EQUAL(src.offset, 4097);
  uint64_t last = 0;
  int calls = 0;
  src.progress = [&](uint64_t sent) {
    BOOST_CHECK_GE(sent, last);
    last = sent;
    ++calls;
    return Status::ok();
  };
  Result<TransferResult> r = upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, src);
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK_EQUAL(last, static_cast<uint64_t>(kDisk));
  BOOST_CHECK_GE(calls, 1);
  BOOST_CHECK_EQUAL(r->bytes, static_cast<uint64_t>(kDisk));
  BOOST_CHECK(read_all(disk_path(sim, s, vdi)) == data);
  BOOST_CHECK_EQUAL(::lseek(f.fd, 0, SEEK_CUR), 4097);
}

// A progress error stops the fd path: the XAPI task is cancelled, the error is the result.
BOOST_FIXTURE_TEST_CASE(a_progress_error_stops_an_upload_from_an_fd, UploadTarget) {
  signal(SIGPIPE, SIG_IGN);  // as the gateway's processes: sendfile to a closed socket
  OpenFile f(tmp, "", random_bytes(kDisk, 6));
  UploadSource src = UploadSource::from_fd(f.fd, kDisk);
  src.progress = [](uint64_t sent) {
    return sent > 0 ? Status(ErrorKind::kCancelled, "aborted on the XO task") : Status::ok();
  };
  Result<TransferResult> r = upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, src);
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK(r.status().kind() == ErrorKind::kCancelled);
}

// XAPI refusing the PUT up front (its answer before the body is read) ends the fd path
// with the task's typed error instead of sending the rest or hanging.
BOOST_FIXTURE_TEST_CASE(a_refused_upload_from_an_fd_is_the_typed_task_error, UploadTarget) {
  signal(SIGPIPE, SIG_IGN);  // as the gateway's processes: sendfile to a closed socket
  OpenFile f(tmp, "", random_bytes(kDisk, 7));
  Result<TransferResult> r =
      upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "qcow2"}}, UploadSource::from_fd(f.fd, kDisk));
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK_MESSAGE(r.status().kind() == ErrorKind::kXapi, r.status().to_string());
}

// The fd path after the probe's redirect: the body goes to the member the 302 names.
BOOST_FIXTURE_TEST_CASE(an_upload_from_an_fd_follows_the_redirect, UploadTarget) {
  Redirector redirector(sim.url());
  std::string data = random_bytes(kDisk, 8);
  OpenFile f(tmp, "", data);
  TransferOptions via;
  via.host = redirector.url();
  Result<TransferResult> r =
      upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, UploadSource::from_fd(f.fd, kDisk), via);
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_CHECK(read_all(disk_path(sim, s, vdi)) == data);
}

BOOST_AUTO_TEST_CASE(xva_export_then_import_creates_a_vm) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vm = add_halted_vm(sim);
  std::string xva;
  Result<TransferResult> r = download(s, "/export/", {{"ref", vm}}, collect(&xva));
  BOOST_REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  BOOST_REQUIRE_GT(xva.size(), 1024u);
  size_t before = (*s.call("VM.get_all", {})->as_array())->size();
  Result<TransferResult> up = upload(s, "/import/", {{"sr_id", default_sr(s)}}, from_string(xva));
  BOOST_REQUIRE_MESSAGE(up.is_ok(), up.status().to_string());
  const auto& refs = **up->task_result.as_array();
  BOOST_REQUIRE_EQUAL(refs.size(), 1u);
  Result<Value> rec = s.call("VM.get_record", {refs[0]});
  BOOST_REQUIRE(rec.is_ok());
  BOOST_CHECK_EQUAL(rec->get_string("name_label"),
                    *s.call("VM.get_name_label", {Value::string(vm)})->as_string());
  BOOST_CHECK_EQUAL((*s.call("VM.get_all", {})->as_array())->size(), before + 1);
}

BOOST_AUTO_TEST_CASE(export_of_a_running_vm_is_the_typed_task_error) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vm = find_vm(s, "Running");
  std::string body;
  Result<TransferResult> r = download(s, "/export/", {{"ref", vm}}, collect(&body));
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK_EQUAL(r.status().code(), "VM_BAD_POWER_STATE");
  BOOST_CHECK(body.empty());
}

BOOST_AUTO_TEST_CASE(failed_upload_with_http_200_is_an_error) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string garbage = random_bytes(64 * 1024, 3);
  Result<TransferResult> r =
      upload(s, "/import/", {{"sr_id", default_sr(s)}}, from_string(garbage));
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK(r.status().kind() == ErrorKind::kXapi);
}

BOOST_AUTO_TEST_CASE(redirects_are_followed_for_get_and_put) {
  SimProcess sim;
  Session s(options_for(sim));
  Redirector redirector(sim.url());
  std::string vdi = new_vdi(s, kDisk);
  std::string data = random_bytes(kDisk, 4);
  TransferOptions via;
  via.host = redirector.url();
  Result<TransferResult> up =
      upload(s, "/import_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, from_string(data), via);
  BOOST_REQUIRE_MESSAGE(up.is_ok(), up.status().to_string());
  BOOST_CHECK(read_all(disk_path(sim, s, vdi)) == data);
  std::string got;
  Result<TransferResult> down =
      download(s, "/export_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, collect(&got), via);
  BOOST_REQUIRE_MESSAGE(down.is_ok(), down.status().to_string());
  BOOST_CHECK(got == data);
}

BOOST_AUTO_TEST_CASE(an_http_response_inside_the_body_is_an_error_not_data) {
  SimProcess sim;
  Session s(options_for(sim));
  FixedBodyServer bad("HTTP/1.1 500 Internal Error\r\n\r\nboom");
  TransferOptions via;
  via.host = bad.url();
  std::string got;
  Result<TransferResult> r = download(
      s, "/export_raw_vdi/", {{"vdi", "OpaqueRef:x"}, {"format", "raw"}}, collect(&got), via);
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK(r.status().kind() == ErrorKind::kTransport);
  BOOST_CHECK(got.empty());
}

BOOST_AUTO_TEST_CASE(sink_error_aborts_the_download) {
  SimProcess sim;
  Session s(options_for(sim));
  std::string vdi = new_vdi(s, kDisk);
  size_t seen = 0;
  Result<TransferResult> r =
      download(s, "/export_raw_vdi/", {{"vdi", vdi}, {"format", "raw"}}, [&](std::string_view c) {
        seen += c.size();
        return seen > 1'000'000 ? Status(ErrorKind::kIo, "client went away") : Status::ok();
      });
  BOOST_REQUIRE(!r.is_ok());
  BOOST_CHECK(r.status().kind() == ErrorKind::kIo || r.status().kind() == ErrorKind::kXapi);
  BOOST_CHECK_LT(seen, static_cast<size_t>(kDisk));
}

BOOST_AUTO_TEST_SUITE_END()

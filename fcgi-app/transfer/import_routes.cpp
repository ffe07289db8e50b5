#include "transfer/import_routes.h"

#include <chrono>
#include <ctime>
#include <optional>
#include <thread>

#include "base/log.h"
#include "routes/collection_routes.h"
#include "routes/server_admin_routes.h"
#include "transfer/spooled_body.h"
#include "transfer/transfer_common.h"
#include "transfer/upload_routes.h"
#include "transfer/vhd_check.h"
#include "transfer/xva_check.h"
#include "xapi/http_transfer.h"

namespace xr::app {
namespace {

const log::Logger kLog("import");

// The upload nginx spooled, opened and already unlinked (gone from disk whatever happens).
// Or, with ?upload=<id>, a complete resumable upload of the caller (consumed).
Result<transfer::SpooledBody> spooled_body(Context& ctx) {
  if (auto upload = ctx.req.query_value("upload")) {
    if (auto n = ctx.req.param("CONTENT_LENGTH"); !n.empty() && n != "0")
      return Status(ErrorKind::kInvalidArgument, "send either a body or ?upload=<id>, not both");
    return take_upload(ctx, *upload);
  }
  std::string_view path = ctx.req.param("XR_BODY_FILE");
  if (path.empty())  // a deployment problem: say which, never a 500
    return Status(ErrorKind::kUnavailable,
                  "this upload did not come through nginx's spooling location (XR_BODY_FILE is "
                  "missing; see nginx/xapi-rest.conf)");
  Result<transfer::SpooledBody> body = transfer::SpooledBody::open(path, ctx.svc.config.transfer_spool_dir);
  if (!body.is_ok()) kLog.error("refused upload file: " + body.status().to_string());
  return body;
}

// Streams the spooled file to XAPI with progress on the XO task (an abort asked there
// stops the upload); the task ends with the outcome.
Result<xapi::TransferResult> send_to_xapi(Context& ctx, xapi::Session& s, std::string_view path,
                                          const xapi::Query& q, const transfer::SpooledBody& body,
                                          std::string label, std::string_view object_type,
                                          std::string_view object_id) {
  TransferTask task(ctx, label, object_type, object_id);
  xapi::TransferOptions o;
  o.task_label = std::move(label);
  xapi::UploadSource src = xapi::UploadSource::from_fd(body.fd(), static_cast<int64_t>(body.size()));
  src.progress = [&](uint64_t sent) { return task.progress(sent, body.size()); };
  auto r = xapi::upload(s, path, q, std::move(src), o);
  task.finish(r.status());
  return r;
}

// A VDI created for an import: destroyed unless keep() (no half-imported disk is left).
class CreatedVdi {
 public:
  CreatedVdi(xapi::Session& s, std::string ref) : s_(s), ref_(std::move(ref)) {}
  ~CreatedVdi() {
    if (keep_) return;
    Status st = s_.call("VDI.destroy", {xapi::Value::string(ref_)}).status();
    if (!st.is_ok()) kLog.warn("VDI " + ref_ + " of a failed import not removed: " + st.to_string());
  }
  void keep() { keep_ = true; }
  const std::string& ref() const { return ref_; }

 private:
  xapi::Session& s_;
  std::string ref_;
  bool keep_ = false;
};

// Read-your-writes: answer once the cache shows the new object (it comes by event.from).
void wait_for_cache(Context& ctx, std::string_view collection, const std::string& uuid) {
  std::string json;
  for (int i = 0; i < 200; ++i) {
    json.clear();
    Status s = load_object(ctx, collection, uuid, &json);
    if (s.is_ok()) return;
    ctx.error_data.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kLog.warn("the cache did not show " + std::string(collection) + "/" + uuid + " within 10 s");
}

// XO's answers: the seed's (legacy) plain-text uuid, or current XO's 201 {"id"} + Location.
void answer_created(Context& ctx, std::string_view collection, const std::string& uuid, bool legacy) {
  wait_for_cache(ctx, collection, uuid);
  if (legacy) {
    ctx.res.send(200, "text/plain; charset=utf-8", uuid);
    return;
  }
  ctx.res.add_header("Location", "/rest/v0/" + std::string(collection) + "/" + uuid);
  ctx.res.send(201, "application/json; charset=utf-8", "{\"id\":\"" + uuid + "\"}");
}

Result<std::string> uuid_of(xapi::Session& s, const char* cls, const std::string& ref) {
  XR_ASSIGN_OR_RETURN(xapi::Value v, s.call(std::string(cls) + ".get_uuid", {xapi::Value::string(ref)}));
  XR_ASSIGN_OR_RETURN(std::string_view u, v.as_string());
  return std::string(u);
}

// The VDI size an upload gives, after checking it: the VHD footer's, or the raw length.
Result<uint64_t> checked_size(const transfer::SpooledBody& body, bool vhd) {
  if (!vhd) {
    if (body.size() == 0) return Status(ErrorKind::kInvalidArgument, "the upload is empty");
    return body.size();
  }
  XR_ASSIGN_OR_RETURN(transfer::FdFile file, transfer::FdFile::open(body.fd()));
  XR_ASSIGN_OR_RETURN(transfer::VhdInfo info, transfer::check_vhd(file));
  return info.virtual_size;
}

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// ?raw: a bare flag or any value but "false" means raw (XO N: raw=true; legacy: presence).
bool raw_flag(Context& ctx) {
  auto v = ctx.req.query_value("raw");
  return v.has_value() && *v != "false";
}

}  // namespace

Status put_vdi_import(Context& ctx) {
  const std::string& format = ctx.params[1];
  if (format != "vhd" && format != "raw")
    return invalid_parameter("format", "Invalid format: vhd or raw", format);
  XR_ASSIGN_OR_RETURN(transfer::SpooledBody body, spooled_body(ctx));
  XR_ASSIGN_OR_RETURN(TransferTarget t, load_target(ctx, "vdis", ctx.params[0]));
  XR_RETURN_IF_ERROR(check_pool_writable(ctx, t.pool));  // a read-only server takes no import
  XR_ASSIGN_OR_RETURN(uint64_t size, checked_size(body, format == "vhd"));
  if (size != t.size)
    return Status(ErrorKind::kInvalidArgument,
                  (format == "vhd" ? "the VHD's virtual size is " : "the upload is ") + std::to_string(size) +
                      " bytes, the VDI's size is " + std::to_string(t.size) + ": they must match");
  XR_ASSIGN_OR_RETURN(transfer::Slot slot, admit_transfer(ctx));
  XR_ASSIGN_OR_RETURN(xapi::Session * s, transfer_session(ctx, t));
  auto r = send_to_xapi(ctx, *s, "/import_raw_vdi/", {{"vdi", t.ref}, {"format", format}}, body,
                        "[XO] Importing content into VDI " + t.name_label, t.type, t.uuid);
  if (!r.is_ok()) return r.status();
  ctx.res.send(204, "application/json; charset=utf-8", "");
  return Status::ok();
}

Status post_sr_vdi_import(Context& ctx) {
  XR_ASSIGN_OR_RETURN(transfer::SpooledBody body, spooled_body(ctx));
  const bool raw = raw_flag(ctx);
  XR_ASSIGN_OR_RETURN(TransferTarget sr, load_target(ctx, "srs", ctx.params[0]));
  XR_RETURN_IF_ERROR(check_pool_writable(ctx, sr.pool));  // a read-only server takes no import
  XR_ASSIGN_OR_RETURN(uint64_t size, checked_size(body, !raw));
  XR_ASSIGN_OR_RETURN(transfer::Slot slot, admit_transfer(ctx));
  XR_ASSIGN_OR_RETURN(xapi::Session * s, transfer_session(ctx, sr));
  std::string name(ctx.req.query_value("name_label").value_or(""));
  if (name.empty()) name = "[XO] Imported disk - " + iso_now();
  auto str = [](std::string v) { return xapi::Value::string(std::move(v)); };
  XR_ASSIGN_OR_RETURN(xapi::Value created,
                      s->call("VDI.create", {xapi::Value::structure({
                                                {"name_label", str(name)},
                                                {"name_description", str(std::string(ctx.req.query_value("name_description").value_or("")))},
                                                {"SR", str(sr.ref)},
                                                {"virtual_size", str(std::to_string(size))},
                                                {"type", str("user")},
                                                {"sharable", xapi::Value::boolean(false)},
                                                {"read_only", xapi::Value::boolean(false)},
                                                {"other_config", xapi::Value::structure()},
                                                {"sm_config", xapi::Value::structure()},
                                                {"xenstore_data", xapi::Value::structure()},
                                                {"tags", xapi::Value::array({})},
                                            })}));
  XR_ASSIGN_OR_RETURN(std::string_view vdi_ref, created.as_string());
  CreatedVdi vdi(*s, std::string(vdi_ref));
  auto r = send_to_xapi(ctx, *s, "/import_raw_vdi/", {{"vdi", vdi.ref()}, {"format", raw ? "raw" : "vhd"}}, body,
                        "[XO] Importing VDI " + name, "SR", sr.uuid);
  if (!r.is_ok()) return r.status();
  XR_ASSIGN_OR_RETURN(std::string uuid, uuid_of(*s, "VDI", vdi.ref()));
  vdi.keep();
  auto raw_value = ctx.req.query_value("raw");
  answer_created(ctx, "vdis", uuid, !raw_value.has_value() || raw_value->empty());
  return Status::ok();
}

Status post_pool_vm_import(Context& ctx) {
  XR_ASSIGN_OR_RETURN(transfer::SpooledBody body, spooled_body(ctx));
  XR_ASSIGN_OR_RETURN(TransferTarget pool, load_target(ctx, "pools", ctx.params[0]));
  std::string sr_id(ctx.req.query_value("sr").value_or(""));
  if (sr_id.empty()) sr_id = pool.default_sr;
  if (sr_id.empty())
    return Status(ErrorKind::kInvalidArgument, "the pool has no default SR: give one with ?sr=<SR uuid>");
  XR_ASSIGN_OR_RETURN(TransferTarget sr, load_target(ctx, "srs", sr_id));
  XR_RETURN_IF_ERROR(check_pool_writable(ctx, sr.pool));  // a read-only server takes no import
  if (sr.pool_id != pool.pool_id)
    return Status(ErrorKind::kInvalidArgument, "the SR " + sr_id + " is not in the pool " + pool.uuid);
  {
    XR_ASSIGN_OR_RETURN(transfer::FdFile file, transfer::FdFile::open(body.fd()));
    XR_ASSIGN_OR_RETURN(transfer::XvaInfo info, transfer::check_xva(file));
    (void)info;
  }
  XR_ASSIGN_OR_RETURN(transfer::Slot slot, admit_transfer(ctx));
  XR_ASSIGN_OR_RETURN(xapi::Session * s, transfer_session(ctx, pool));
  auto r = send_to_xapi(ctx, *s, "/import/", {{"sr_id", sr.ref}}, body, "[XO] Importing a VM", "pool", pool.uuid);
  if (!r.is_ok()) return r.status();
  // The task's result: the new VM refs (snapshots left out by XAPI); XO takes the first.
  auto refs = r->task_result.as_array();
  if (!refs.is_ok() || (*refs)->empty() || !(**refs)[0].as_string().is_ok())
    return Status(ErrorKind::kProtocol, "the import task gave no VM");
  XR_ASSIGN_OR_RETURN(std::string uuid, uuid_of(*s, "VM", std::string(*(**refs)[0].as_string())));
  answer_created(ctx, "vms", uuid, false);
  return Status::ok();
}

}  // namespace xr::app

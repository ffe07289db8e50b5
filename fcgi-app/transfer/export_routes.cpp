#include "transfer/export_routes.h"

#include <atomic>
#include <random>

#include "base/log.h"
#include "transfer/nbd_reader.h"
#include "transfer/piped_download.h"
#include "transfer/range.h"
#include "transfer/transfer_common.h"
#include "transfer/vhd_layout.h"
#include "xapi/http_client.h"
#include "xapi/http_transfer.h"
#include "xapi/task_waiter.h"

namespace xr::app {
namespace {

const log::Logger kLog("export");

// ?compress as XO: zstd, gzip, legacy true (gzip) / false (none); a bare key or absent:
// none. The value is XAPI's use_compression.
Result<std::string> compression(Context& ctx) {
  if (ctx.req.query_count("compress") > 1) return invalid_parameter("compress", "invalid string value", "");
  std::string_view c = ctx.req.query_value("compress").value_or("");
  if (c.empty() || c == "false") return std::string("false");
  if (c == "true" || c == "gzip") return std::string("true");
  if (c == "zstd") return std::string("zstd");
  return invalid_parameter("compress", "Invalid compress: gzip, zstd, true or false", c);
}

// A VM snapshot taken for the export of a running VM, destroyed with its disks afterwards
// whatever happened (as XO does).
class ExportSnapshot {
 public:
  ExportSnapshot(xapi::Session& s, std::string ref) : s_(s), ref_(std::move(ref)) {}
  ~ExportSnapshot() { destroy(); }
  const std::string& ref() const { return ref_; }

 private:
  void destroy() {
    std::vector<std::string> vdis;
    auto vbds = s_.call("VM.get_VBDs", {xapi::Value::string(ref_)});
    if (vbds.is_ok() && vbds->as_array().is_ok()) {
      for (const auto& vbd : **vbds->as_array()) {
        auto type = s_.call("VBD.get_type", {vbd});
        auto vdi = s_.call("VBD.get_VDI", {vbd});
        if (type.is_ok() && vdi.is_ok() && type->as_string().is_ok() && *type->as_string() == "Disk" &&
            vdi->as_string().is_ok() && *vdi->as_string() != "OpaqueRef:NULL")
          vdis.push_back(std::string(*vdi->as_string()));
      }
    }
    Status gone = s_.call("VM.destroy", {xapi::Value::string(ref_)}).status();
    for (const auto& v : vdis) {
      Status s = s_.call("VDI.destroy", {xapi::Value::string(v)}).status();
      if (!s.is_ok()) gone = s;
    }
    if (!gone.is_ok()) kLog.warn("export snapshot " + ref_ + " not fully removed: " + gone.to_string());
  }
  xapi::Session& s_;
  std::string ref_;
};

// The sink of an XAPI download into the response; a client gone stops the transfer.
xapi::BodySink to_client(BodyStream& out) {
  return [&out](std::string_view chunk) {
    if (!out.write(chunk)) return Status(ErrorKind::kCancelled, "the client went away");
    return Status::ok();
  };
}

// The end of a transfer: OK when the body went out (or the client left: nothing to
// answer), else the error (XO's JSON error before any byte; a cut body after).
Status settle(BodyStream& out, const Status& s, std::string_view what) {
  if (out.gone()) {
    kLog.info(std::string(what) + ": the client went away after " + std::to_string(out.bytes()) + " bytes");
    return Status::ok();
  }
  if (!s.is_ok()) {
    kLog.warn(std::string(what) + " failed after " + std::to_string(out.bytes()) + " bytes: " + s.to_string());
    return s;
  }
  out.finish();
  return Status::ok();
}

xapi::TransferOptions options(std::string label) {
  xapi::TransferOptions o;
  o.task_label = std::move(label);
  return o;
}

bool is_running(const TransferTarget& t) { return t.power_state == "Running" || t.power_state == "Paused"; }

Status export_vhd(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out);
Status export_raw(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out,
                  transfer::NbdReader* nbd);
Status export_vhd_nbd(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out, int connections);
Status export_raw_accel(Context& ctx, xapi::Session& s, const TransferTarget& t);

// ?preferNbd (bare or any value but false) and ?nbdConcurrency=1..16 (default 1).
struct NbdChoice {
  bool prefer = false;
  int connections = 1;
};

Result<NbdChoice> nbd_choice(Context& ctx) {
  NbdChoice c;
  auto p = ctx.req.query_value("preferNbd");
  c.prefer = p.has_value() && *p != "false";
  if (auto n = ctx.req.query_value("nbdConcurrency")) {
    int v = 0;
    bool ok = !n->empty() && n->size() <= 2 && n->find_first_not_of("0123456789") == std::string_view::npos;
    if (ok) v = std::stoi(std::string(*n));
    if (!ok || v < 1 || v > 16) return invalid_parameter("nbdConcurrency", "an integer from 1 to 16", *n);
    c.connections = v;
  }
  return c;
}

// XAPI's NBD servers for the VDI (VDI.get_nbd_info), connected; null when none is offered
// or none answers (then the HTTP handler serves the export, as XO falls back).
std::unique_ptr<transfer::NbdReader> open_nbd(xapi::Session& s, const TransferTarget& t, int connections) {
  auto info = s.call("VDI.get_nbd_info", {xapi::Value::string(t.ref)});
  if (!info.is_ok() || !info->as_array().is_ok()) {
    kLog.info("VDI.get_nbd_info for " + t.uuid + ": " + info.status().to_string() + "; using HTTP");
    return nullptr;
  }
  std::vector<transfer::NbdEndpoint> endpoints;
  for (const auto& rec : **info->as_array()) {
    transfer::NbdEndpoint e;
    e.address = std::string(rec.get_string("address"));
    const xapi::Value* port = rec.get("port");
    if (port != nullptr && port->as_int().is_ok()) e.port = static_cast<int>(*port->as_int());
    e.exportname = std::string(rec.get_string("exportname"));
    e.tls = !rec.get_string("cert").empty();
    if (!e.address.empty()) endpoints.push_back(std::move(e));
  }
  if (endpoints.empty()) {
    kLog.info("no NBD server offered for VDI " + t.uuid + "; using HTTP");
    return nullptr;
  }
  auto reader = transfer::NbdReader::open(endpoints, connections);
  if (!reader.is_ok()) {
    kLog.warn("NBD for VDI " + t.uuid + ": " + reader.status().to_string() + "; using HTTP");
    return nullptr;
  }
  kLog.info("VDI " + t.uuid + " exported through NBD (" + std::to_string((*reader)->connections()) +
            " connections)");
  return std::move(reader).value();
}

}  // namespace

Status get_vm_export(Context& ctx) {
  const std::string& format = ctx.params[1];
  if (format != "xva") return invalid_parameter("format", "Invalid format: only xva is exported", format);
  XR_ASSIGN_OR_RETURN(std::string compress, compression(ctx));
  XR_ASSIGN_OR_RETURN(TransferTarget t, load_target(ctx, ctx.req.segments()[2], ctx.params[0]));
  BodyStream out(ctx.res);
  out.header("Content-Disposition", "attachment; filename=\"" + t.uuid + ".xva\"");
  if (ctx.req.method() == "HEAD") {
    out.finish();
    return Status::ok();
  }
  XR_ASSIGN_OR_RETURN(transfer::Slot slot, admit_transfer(ctx));
  XR_ASSIGN_OR_RETURN(xapi::Session * s, transfer_session(ctx, t));
  std::optional<ExportSnapshot> snapshot;
  std::string ref = t.ref;
  if (is_running(t)) {  // XAPI exports only halted or suspended VMs
    XR_ASSIGN_OR_RETURN(xapi::Value snap, s->call("VM.snapshot", {xapi::Value::string(t.ref),
                                                                   xapi::Value::string("[XO Export] " + t.name_label)}));
    XR_ASSIGN_OR_RETURN(std::string_view snap_ref, snap.as_string());
    snapshot.emplace(*s, std::string(snap_ref));
    ref = snapshot->ref();
  }
  TransferTask task(ctx, "[XO] Exporting VM " + t.name_label, t.type, t.uuid);
  auto r = piped_download(*s, "/export/", {{"ref", ref}, {"use_compression", compress}}, to_client(out),
                          options("[XO] Exporting VM " + t.name_label));
  task.finish(out.gone() ? Status(ErrorKind::kCancelled, "the client went away") : r.status());
  return settle(out, r.status(), "VM export " + t.uuid);
}

Status get_vdi_export(Context& ctx) {
  const std::string& format = ctx.params[1];
  if (format != "vhd" && format != "raw")
    return invalid_parameter("format", "Invalid format: vhd or raw", format);
  XR_ASSIGN_OR_RETURN(NbdChoice nbd_choice_, nbd_choice(ctx));
  XR_ASSIGN_OR_RETURN(TransferTarget t, load_target(ctx, ctx.req.segments()[2], ctx.params[0]));
  BodyStream out(ctx.res);
  out.header("Content-Disposition", "attachment; filename=\"" + t.uuid + "." + format + "\"");
  if (format == "raw") {
    out.header("Accept-Ranges", "bytes");
    if (t.type == "VDI-snapshot") out.header("ETag", "\"" + t.uuid + ".raw\"");  // immutable content
  }
  if (ctx.req.method() == "HEAD") {
    if (format == "raw") out.header("Content-Length", std::to_string(t.size));
    out.finish();
    return Status::ok();
  }
  XR_ASSIGN_OR_RETURN(transfer::Slot slot, admit_transfer(ctx));
  XR_ASSIGN_OR_RETURN(xapi::Session * s, transfer_session(ctx, t));
  if (format == "vhd")
    return nbd_choice_.prefer ? export_vhd_nbd(ctx, *s, t, out, nbd_choice_.connections) : export_vhd(ctx, *s, t, out);
  // Whole raw disks may be streamed by nginx straight from XAPI ([transfer] accel_redirect);
  // ranges and NBD stay here (XAPI's handler has no ranges, nginx no NBD).
  if (ctx.svc.config.transfer_accel_redirect && !nbd_choice_.prefer && ctx.req.param("HTTP_RANGE").empty() &&
      t.size > 0)
    return export_raw_accel(ctx, *s, t);
  std::unique_ptr<transfer::NbdReader> nbd;
  if (nbd_choice_.prefer) nbd = open_nbd(*s, t, nbd_choice_.connections);
  return export_raw(ctx, *s, t, out, nbd.get());
}

namespace {

// Raw: the length is the VDI's size; one byte range may be asked (curl -C -): XAPI's
// handler has no ranges, so the stream is read from its start and cut to the range.
Status export_raw(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out,
                  transfer::NbdReader* nbd) {
  const std::string etag = t.type == "VDI-snapshot" ? "\"" + t.uuid + ".raw\"" : "";
  transfer::RangeRequest range = transfer::parse_range(ctx.req.param("HTTP_RANGE"), t.size,
                                                       ctx.req.param("HTTP_IF_RANGE"), etag);
  if (range.kind == transfer::RangeRequest::Kind::kUnsatisfiable) {
    ctx.res.add_header("Content-Range", transfer::content_range_unsatisfied(t.size));
    ctx.res.send(416, "application/json; charset=utf-8", "{\"error\":\"range not satisfiable\"}");
    return Status::ok();
  }
  transfer::ByteRange window{0, t.size == 0 ? 0 : t.size - 1};
  if (range.kind == transfer::RangeRequest::Kind::kPartial) {
    window = range.range;
    out.set_status(206);
    out.header("Content-Range", transfer::content_range(window, t.size));
  }
  const uint64_t length = t.size == 0 ? 0 : window.length();
  out.header("Content-Length", std::to_string(length));
  TransferTask task(ctx, "[XO] Exporting content of VDI " + t.name_label, t.type, t.uuid);
  if (nbd != nullptr) {  // NBD reads the range itself
    Status st = length == 0 ? Status::ok() : nbd->read(window.first, length, [&](std::string_view c) {
      if (!out.write(c)) return Status(ErrorKind::kCancelled, "the client went away");
      return task.progress(out.bytes(), length);
    });
    task.finish(st);
    return settle(out, st, "raw export (NBD) " + t.uuid);
  }
  transfer::RangeWindow cut(window);
  uint64_t sent = 0;
  auto r = piped_download(
      s, "/export_raw_vdi/", {{"vdi", t.ref}, {"format", "raw"}},
      [&](std::string_view chunk) {
        std::string_view part = length == 0 ? std::string_view() : cut.feed(chunk);
        if (part.size() > length - sent) part = part.substr(0, length - sent);
        if (!part.empty() && !out.write(part)) return Status(ErrorKind::kCancelled, "the client went away");
        sent += part.size();
        if (sent == length && length < t.size) return Status(ErrorKind::kCancelled, "range complete");
        return task.progress(sent, length);
      },
      options("[XO] Exporting content of VDI " + t.name_label));
  if (!out.gone() && sent == length && (r.is_ok() || r.status().message() == "range complete")) {
    task.finish(Status::ok());
    out.finish();
    return Status::ok();
  }
  task.finish(out.gone() ? Status(ErrorKind::kCancelled, "the client went away") : r.status());
  if (!out.gone() && r.is_ok() && sent != length)
    return settle(out, Status(ErrorKind::kProtocol, "XAPI sent " + std::to_string(sent) + " of " +
                                                        std::to_string(length) + " bytes"), "raw export");
  return settle(out, r.status(), "raw export " + t.uuid);
}

// Raw through nginx (X-Accel-Redirect): the XAPI task is created here, nginx's internal
// location /_xr_xapi/ proxies XAPI's /export_raw_vdi/ with it (the session in a Cookie
// header taken from X-Xr-Xapi-Session, never in a URL; a 302 to the member holding the
// disk followed by nginx) and this thread, its response sent, follows the XAPI task into
// the XO task (progress, outcome; an abort asked on the XO task cancels the XAPI one)
// while it keeps the admission slot. nginx never forwards the X-Xr-* headers; X-Xr-Length
// (the VDI's size) becomes the client's Content-Length, so a transfer XAPI cuts is a short
// body the client sees as such.
Status export_raw_accel(Context& ctx, xapi::Session& s, const TransferTarget& t) {
  const std::string label = "[XO] Exporting content of VDI " + t.name_label;
  XR_ASSIGN_OR_RETURN(std::string xapi_task, xapi::create_task(s, label));
  auto creds = s.credentials();
  if (!creds.is_ok()) {
    (void)xapi::destroy_task(s, xapi_task);
    return creds.status();
  }
  TransferTask task(ctx, label, t.type, t.uuid);
  ctx.res.add_header("X-Accel-Redirect", "/_xr_xapi/export_raw_vdi/?vdi=" + xapi::url_escape(t.ref) +
                                             "&format=raw&task_id=" + xapi::url_escape(xapi_task));
  ctx.res.add_header("X-Xr-Xapi", creds->base_url);
  ctx.res.add_header("X-Xr-Xapi-Session", creds->session_ref);
  ctx.res.add_header("X-Xr-Disposition", "attachment; filename=\"" + t.uuid + ".raw\"");
  ctx.res.add_header("X-Xr-Length", std::to_string(t.size));  // nginx's Content-Length (XAPI sends none)
  ctx.res.send(200, "application/octet-stream", "");
  kLog.info("raw export " + t.uuid + " handed to nginx (X-Accel-Redirect), XAPI task " + xapi_task);

  std::atomic<bool> cancel{false};
  bool started = false;
  xapi::TaskWaitOptions wait;
  wait.event_timeout_s = 5.0;
  wait.cancel = &cancel;
  wait.on_progress = [&](double p) {
    if (p > 0) started = true;
    if (!task.progress(static_cast<uint64_t>(p * 1000), 1000).is_ok()) cancel = true;  // abort asked
  };
  // First 2 minutes: a task still at 0 then means nginx never reached XAPI (the client
  // left before, or the site lacks the location): nothing will come, it is cancelled.
  wait.timeout_ms = 120'000;
  Result<xapi::Value> outcome = xapi::wait_task(s, xapi_task, wait);
  if (!outcome.is_ok() && outcome.status().kind() == ErrorKind::kTimeout && started) {
    wait.timeout_ms = 3'600'000;
    outcome = xapi::wait_task(s, xapi_task, wait);
  }
  if (!outcome.is_ok() && outcome.status().kind() != ErrorKind::kXapi) (void)xapi::cancel_task(s, xapi_task);
  Status st = outcome.status();
  task.finish(st);
  if (!st.is_ok()) kLog.warn("raw export " + t.uuid + " (nginx from XAPI) failed: " + st.to_string());
  Status destroyed = xapi::destroy_task(s, xapi_task);
  if (!destroyed.is_ok()) kLog.debug("task.destroy after a raw export: " + destroyed.to_string());
  return Status::ok();
}

// VHD: the start of XAPI's stream (footer, header, BAT) is held back until its block map
// gives the whole length, then sent with Content-Length and the rest passed through.
Status export_vhd(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out) {
  TransferTask task(ctx, "[XO] Exporting content of VDI " + t.name_label, t.type, t.uuid);
  transfer::VhdHeadParser head;
  std::string held;
  uint64_t length = 0;
  auto r = piped_download(
      s, "/export_raw_vdi/", {{"vdi", t.ref}, {"format", "vhd"}},
      [&](std::string_view chunk) {
        if (!head.done()) {
          held.append(chunk);
          XR_ASSIGN_OR_RETURN(size_t used, head.feed(chunk));
          (void)used;
          if (!head.done()) return Status::ok();
          length = head.stream_size();
          out.header("Content-Length", std::to_string(length));
          chunk = held;
        }
        if (!out.write(chunk)) return Status(ErrorKind::kCancelled, "the client went away");
        if (!held.empty()) std::string().swap(held);
        return task.progress(out.bytes(), length);
      },
      options("[XO] Exporting content of VDI " + t.name_label));
  Status st = r.status();
  if (r.is_ok() && out.bytes() != length && !out.gone())
    st = Status(ErrorKind::kProtocol, "the VHD stream did not match its block table");
  task.finish(out.gone() ? Status(ErrorKind::kCancelled, "the client went away") : st);
  return settle(out, st, "VHD export " + t.uuid);
}

// VHD through NBD (XO's way): the block map from the start of XAPI's VHD stream (which
// is then dropped), the blocks themselves read over NBD, laid out as xapi does.
Status export_vhd_nbd(Context& ctx, xapi::Session& s, const TransferTarget& t, BodyStream& out, int connections) {
  transfer::VhdHeadParser head;
  auto r = xapi::download(
      s, "/export_raw_vdi/", {{"vdi", t.ref}, {"format", "vhd"}},
      [&](std::string_view chunk) {
        XR_ASSIGN_OR_RETURN(size_t used, head.feed(chunk));
        (void)used;
        return head.done() ? Status(ErrorKind::kCancelled, "block map read") : Status::ok();
      },
      options("[XO] Reading the block map of VDI " + t.name_label));
  if (!head.done()) return r.is_ok() ? Status(ErrorKind::kProtocol, "VHD stream without a block map") : r.status();
  std::unique_ptr<transfer::NbdReader> reader = open_nbd(s, t, connections);
  if (!reader) return export_vhd(ctx, s, t, out);
  transfer::NbdReader& nbd = *reader;
  TransferTask task(ctx, "[XO] Exporting content of VDI " + t.name_label, t.type, t.uuid);
  transfer::VhdUid uid{};
  std::random_device rd;
  for (auto& b : uid) b = static_cast<uint8_t>(rd());
  transfer::VhdLayout layout(head.virtual_size(), head.blocks(), uid);
  out.header("Content-Length", std::to_string(layout.size()));
  if (!out.write(layout.head())) return settle(out, Status::ok(), "VHD export (NBD)");
  const std::string bitmap = transfer::VhdLayout::bitmap();
  Status st = nbd.read_blocks(layout.blocks(), [&](std::string_view data) {
    if (!out.write(bitmap) || !out.write(data)) return Status(ErrorKind::kCancelled, "the client went away");
    if (data.size() < transfer::kVhdBlockSize &&
        !out.write(std::string(transfer::kVhdBlockSize - data.size(), '\0')))
      return Status(ErrorKind::kCancelled, "the client went away");
    return task.progress(out.bytes(), layout.size());
  });
  if (st.is_ok() && !out.write(layout.tail())) st = Status(ErrorKind::kCancelled, "the client went away");
  task.finish(st);
  return settle(out, st, "VHD export (NBD) " + t.uuid);
}

}  // namespace
}  // namespace xr::app

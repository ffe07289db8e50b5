// What the export and import routes share: the XAPI object a transfer is about (from the
// cache), the transfer's admission slot, the transfer session, and a response body
// stream whose status and headers go out with the first byte (so an error before it is
// still XO's JSON error). Worker (or transfer role) request thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "routes/context.h"
#include "transfer/slot_table.h"
#include "xapi/session.h"

namespace xr::tasks {
class TaskStore;
}

namespace xr::app {

class TransferSessions;

// The cached XO object a transfer is about, with what the transfers need of it.
struct TransferTarget {
  std::string pool;         // configured pool name (for the session)
  std::string pool_id;      // XO pool id
  std::string ref;          // _xapiRef
  std::string uuid;
  std::string type;         // "VM", "VM-snapshot", "VDI", "VDI-snapshot", "SR", "pool", ...
  std::string name_label;
  std::string power_state;  // VMs
  uint64_t size = 0;        // VDIs: virtual size
  std::string default_sr;   // pools: uuid of the default SR ("" when none)
};

// The object `id` of `collection` from the cache (XO's 404 when unknown).
Result<TransferTarget> load_target(Context& ctx, std::string_view collection, std::string_view id);

// The transfer session of the target's pool.
Result<xapi::Session*> transfer_session(Context& ctx, const TransferTarget& target);

// A slot of the [transfer] max_concurrent ones, or 503 + Retry-After when all are held.
Result<transfer::Slot> admit_transfer(Context& ctx);

// XO's 422 field map for one query or path parameter.
Status invalid_parameter(std::string_view name, std::string_view message, std::string_view value);

// The XO task of a transfer (lib/tasks; visible at /rest/v0/tasks): created pending with
// the transfer's name and object, progress in percent from the bytes moved (written at
// most once a second), success or failure at the end (failure if never finished). An
// abort asked on the task (POST /tasks/{id}/actions/abort) stops the transfer at its next
// progress report. A no-op where the process has no task store.
class TransferTask {
 public:
  TransferTask(Context& ctx, std::string name, std::string_view object_type, std::string_view object_id);
  ~TransferTask();
  TransferTask(const TransferTask&) = delete;
  TransferTask& operator=(const TransferTask&) = delete;
  // kCancelled when an abort was asked for.
  Status progress(uint64_t done, uint64_t total);
  void finish(const Status& outcome, std::string_view result_json = "");
  const std::string& id() const { return id_; }

 private:
  tasks::TaskStore* store_ = nullptr;
  std::string id_;
  bool finished_ = false;
  int64_t last_percent_ = -1;
  int64_t last_write_ms_ = 0;
};

// The response body of a transfer: status and headers are held until the first byte (or
// finish()), so an error before any byte is answered as XO's JSON error.
class BodyStream {
 public:
  explicit BodyStream(Response& res) : res_(res) {}
  void set_status(int code) { status_ = code; }
  void header(std::string name, std::string value) { headers_.emplace_back(std::move(name), std::move(value)); }
  // False once the client is gone (then gone() is true).
  bool write(std::string_view chunk);
  // Headers (if no byte went out) and the end of the body.
  void finish();
  bool gone() const { return gone_; }
  bool started() const { return started_; }
  uint64_t bytes() const { return bytes_; }

 private:
  void start();
  Response& res_;
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool started_ = false;
  bool gone_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace xr::app

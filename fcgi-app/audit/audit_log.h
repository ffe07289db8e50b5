// The audit log (issue 17, controls): one JSON line per mutation, action and failed login,
// appended to its own file ([audit] path). Every worker thread, the stream role and the
// console bridge append to the same file: each line is one write(2) on an O_APPEND
// descriptor opened for that line (atomic for a line this size, and a rotated file is
// simply re-created). Never blocks beyond that write; a failed write is logged once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace xr::app {

struct AuditRecord {
  std::string event;     // "request" (a change or an action) | "login_failed"
  std::string user;      // the user's name, or the name a failed Basic login tried; "" unknown
  std::string user_id;   // "" when unknown
  std::string token_id;  // the public id of the token used (never the token); "" for Basic
  std::string address;   // the client's address (nginx's REMOTE_ADDR)
  std::string method;
  std::string route;     // the route's pattern ("/rest/v0/vms/{id}/actions/start"), or the path
  std::string object;    // the object the path names ({id}), "" when none
  int status = 0;        // the HTTP status answered
  std::string task_id;   // the XO task of an action, "" when none
};

// The line written for `r` (no trailing newline): {"time":..., ...} with "result" derived
// from the status ("success" < 300, "refused" 4xx, "failed" 5xx).
std::string audit_line(const AuditRecord& r, int64_t unix_ms);
// Appends the line of `r` to `path` (created 0600). "" = no audit log.
void write_audit(const std::string& path, const AuditRecord& r);

}  // namespace xr::app

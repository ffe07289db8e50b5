// The audit log (issue 17, controls): one JSON line per mutation, action, console and failed
// login, appended to its own file ([audit] path) or sent to systemd-journald ([audit]
// journal). Every worker thread, the stream role and the console bridge write it: to the
// file, each line is one write(2) on an O_APPEND descriptor opened for that line (atomic for
// a line this size, and a rotated file is simply re-created); to the journal, one datagram
// of journald's native protocol per record on the journal socket (no libsystemd). Never
// blocks beyond that write or send; a failure is logged once per process and destination.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"

namespace xr::app {

struct AuditRecord {
  std::string event;     // "request" (a change or an action) | "console" | "login_failed"
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
// The datagram sent to journald for `r` (its native protocol): MESSAGE=<audit_line>,
// SYSLOG_IDENTIFIER=xapi-rest-audit, PRIORITY (6 success, 5 refused, 4 failed or a failed
// login) and XR_AUDIT_* fields (EVENT, RESULT, STATUS, USER, TOKEN_ID, ADDRESS, METHOD, ROUTE,
// OBJECT, TASK_ID; the empty ones left out). A value holding a newline is sent in the
// protocol's length-prefixed form.
std::string journal_datagram(const AuditRecord& r, int64_t unix_ms);
// Sends `r` to the journal's native socket at `socket_path` (a unix datagram socket).
void send_audit_to_journal(const std::string& socket_path, const AuditRecord& r);
// Where the configuration says: the journal ([audit] journal = true, at journal_socket),
// else the file (Config::audit_file()).
void write_audit(const config::Config& config, const AuditRecord& r);

}  // namespace xr::app

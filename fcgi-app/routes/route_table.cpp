#include "routes/route_table.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <string>

#include "actions/action.h"
#include "audit/request_audit.h"
#include "routes/action_routes.h"
#include "routes/authenticate.h"
#include "routes/collection_routes.h"
#include "routes/create_routes.h"
#include "routes/dashboard_routes.h"
#include "routes/delete_routes.h"
#include "routes/http_errors.h"
#include "routes/idempotency.h"
#include "routes/meta_routes.h"
#include "metrics/metrics.h"
#include "metrics/metrics_route.h"
#include "routes/monitor_routes.h"
#include "routes/mutation_routes.h"
#include "routes/server_admin_routes.h"
#include "routes/server_routes.h"
#include "routes/rate_limit.h"
#include "routes/scope_check.h"
#include "routes/session_routes.h"
#include "routes/sr_routes.h"
#include "routes/task_routes.h"
#include "routes/user_admin_routes.h"
#include "routes/user_routes.h"
#include "routes/xo_only_routes.h"
#include "transfer/export_routes.h"
#include "transfer/import_routes.h"
#include "transfer/upload_routes.h"

namespace xr::app {

namespace {

constexpr Access kPublic = Access::kPublic;
constexpr Access kUser = Access::kUser;
constexpr Access kAdmin = Access::kAdmin;
constexpr Mcp kAllow = Mcp::kAllow;
constexpr Mcp kConfirm = Mcp::kConfirm;
constexpr Mcp kDeny = Mcp::kDeny;

// First match wins: fixed names come before patterns that would also match them.
// Every row carries its RouteDoc (see route_table.h); the OpenAPI document is made from it.
// clang-format off
const std::array kRoutes = {
    Route{"GET", "rest/v0", kAdmin, &get_root,
     {"GetRoot", "The collection URLs", kDeny, "fields limit ndjson", "", "200 [string]"}},
    Route{"GET", "rest/v0/ping", kPublic, &get_ping,
     {"Ping", "Liveness check, no credentials needed", kAllow, "", "", "200 PingResponse"}},
    Route{"GET", "rest/v0/docs/swagger.json", kPublic, &get_openapi,
     {"swaggerSpec", "This OpenAPI document (what XO serves at the same URL)", kDeny, "", "",
      "200 OpenApiDocument"}},
    Route{"GET", "rest/v0/docs/openapi.json", kPublic, &get_openapi,
     {"openApiSpec", "This OpenAPI document", kDeny, "", "", "200 OpenApiDocument"}},
    // Outside /rest/v0 (not in the OpenAPI document): Prometheus metrics, nginx's own location.
    Route{"GET", "metrics", kAdmin, &get_metrics,
     {"GetMetrics", "Prometheus metrics of the gateway (text format)", kDeny, "", "", "200"}},
    // Outside /rest/v0 (not in the OpenAPI document): the browser's pages for XO 6's web UI.
    Route{"GET", "", Access::kPage, &get_ui_root,
     {"GetUiRoot", "XO 6's web UI (nginx serves its index.html) or a redirect to /signin", kDeny, "", "",
      "200, 302"}},
    Route{"GET", "signin", Access::kPage, &get_signin,
     {"GetSignin", "The sign-in page (HTML form)", kDeny, "", "", "200"}},
    Route{"POST", "signin", Access::kPage, &post_signin,
     {"PostSignin", "Sign in: the session token into the authenticationToken cookie, 303 to redirect",
      kDeny, "", "", "303, 401"}},
    Route{"GET", "signout", Access::kPage, &get_signout,
     {"GetSignout", "Sign out: revoke the session's token, clear the cookie, 302 to /signin", kDeny, "",
      "", "302"}},
    Route{"GET", "rest/v0/gui-routes", kPublic, &get_gui_routes,
     {"GetGuiRoutes", "Where the web UIs are (XO 6's at /, no XO 5)", kAllow, "", "", "200 XoGuiRoutes"}},
    Route{"GET", "rest/v0/mcp/status", kPublic, &get_mcp_status,
     {"GetMcpStatus", "Whether XO's MCP server may use this API (no credentials needed)",
      Mcp::kNone, "", "", "200 McpStatus, 503"}},
    Route{"*", "rest/v0/users/me", kUser, &redirect_me,
     {"RedirectMe", "Any method: 307 to /users/{id} of the caller", kDeny, "", "", "307"}},
    Route{"*", "rest/v0/users/me/**", kUser, &redirect_me,
     {"RedirectMeSubPath", "Any method: 307 to the same path under /users/{id} of the caller", kDeny,
      "", "", "307"}},
    Route{"POST", "rest/v0/users/authentication_tokens", kUser, &create_own_token,
     {"PostDeprecatedAuthenticationTokens",
      "Create a token for the caller (deprecated in XO: use /users/{id}/authentication_tokens)",
      kConfirm, "", "CreateTokenBody", "201 CreatedToken"}},
    Route{"GET", "rest/v0/users", kAdmin, &list_users,
     {"GetUsers", "The users", kAllow, "@list", "", "200 [XoUser]"}},
    Route{"POST", "rest/v0/users", kAdmin, &create_user,
     {"CreateUser", "Create a user (permission none unless given)", kConfirm, "", "CreateUserBody",
      "201 CreatedId, 409"}},
    Route{"GET", "rest/v0/users/{id}", kUser, &get_user,
     {"GetUser", "One user (any user may read itself)", kAllow, "", "", "200 XoUser"}},
    Route{"PATCH", "rest/v0/users/{id}", kAdmin, &update_user,
     {"UpdateUser", "Change a user's name, password or permission (not one's own)", kConfirm, "",
      "UpdateUserBody", "204, 409"}},
    Route{"DELETE", "rest/v0/users/{id}", kAdmin, &delete_user,
     {"DeleteUser", "Delete a user and its tokens (not oneself)", kConfirm, "", "", "204"}},
    Route{"GET", "rest/v0/users/{id}/authentication_tokens", kUser, &list_tokens,
     {"GetAuthenticationTokens", "The tokens of a user (public ids, never the secrets)", kAllow,
      "@list", "", "200 [XoAuthenticationToken]"}},
    Route{"POST", "rest/v0/users/{id}/authentication_tokens", kUser, &create_token,
     {"PostAuthenticationTokens", "Create a token (its secret is shown once)", kConfirm, "",
      "CreateTokenBody", "201 CreatedToken"}},
    Route{"DELETE", "rest/v0/users/{id}/authentication_tokens/{tokenId}", kUser, &delete_token,
     {"DeleteAuthenticationToken", "Revoke a token (by public id or secret)", kDeny, "", "",
      "204"}},
    Route{"GET", "rest/v0/servers", kAdmin, &list_servers,
     {"GetServers", "The configured pools and their connection state", kAllow, "@list", "",
      "200 [XoServer]"}},
    Route{"POST", "rest/v0/servers", kAdmin, &add_server,
     {"AddServer", "Connect a pool over REST (its password encrypted at rest; the poller takes it at once)",
      kConfirm, "", "AddServerBody", "201 CreatedId, 409"}},
    Route{"GET", "rest/v0/servers/{id}", kAdmin, &get_server,
     {"GetServer", "One configured pool", kAllow, "", "", "200 XoServer"}},
    Route{"PATCH", "rest/v0/servers/{id}", kAdmin, &update_server,
     {"UpdateServer", "Change a server added over REST (label, host, credentials, readOnly)", kConfirm, "",
      "UpdateServerBody", "204, 409"}},
    Route{"DELETE", "rest/v0/servers/{id}", kAdmin, &delete_server,
     {"DeleteServer", "Remove a server added over REST (its objects leave the cache)", kConfirm, "", "", "204"}},
    Route{"POST", "rest/v0/servers/{id}/actions/connect", kAdmin, &connect_server,
     {"ConnectServer", "Connect a server added over REST", kConfirm, "", "", "204"}},
    Route{"POST", "rest/v0/servers/{id}/actions/disconnect", kAdmin, &disconnect_server,
     {"DisconnectServer", "Disconnect a server added over REST (its objects leave the cache)", kConfirm, "", "",
      "204"}},
    // XO features this gateway does not have: what an XO with none configured answers.
    Route{"GET", "rest/v0/backup-jobs", kAdmin, &list_not_configured,
     {"GetBackupJobs", "XO's backup jobs: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/backup-jobs/{id}", kAdmin, &get_not_configured,
     {"GetBackupJob", "One of XO's backup jobs: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/backup-repositories", kAdmin, &list_not_configured,
     {"GetRepositories", "XO's backup repositories: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/backup-repositories/{id}", kAdmin, &get_not_configured,
     {"GetRepository", "One of XO's backup repositories: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/backup-logs", kAdmin, &list_not_configured,
     {"GetBackupLogs", "XO's backup logs: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/backup-logs/{id}", kAdmin, &get_not_configured,
     {"GetBackupLog", "One of XO's backup logs: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/restore-logs", kAdmin, &list_not_configured,
     {"GetRestoreLogs", "XO's restore logs: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/restore-logs/{id}", kAdmin, &get_not_configured,
     {"GetRestoreLog", "One of XO's restore logs: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/schedules", kAdmin, &list_not_configured,
     {"GetSchedules", "XO's schedules: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/schedules/{id}", kAdmin, &get_not_configured,
     {"GetSchedule", "One of XO's schedules: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/proxies", kAdmin, &list_not_configured,
     {"GetProxies", "XO's proxies: none here (always an empty list)", kAllow, "@list", "", "200 [XoNotConfigured]"}},
    Route{"GET", "rest/v0/proxies/{id}", kAdmin, &get_not_configured,
     {"GetProxy", "One of XO's proxies: none here (always 404)", kAllow, "", "", "200 XoNotConfigured"}},
    Route{"GET", "rest/v0/tasks", kUser, &list_tasks,
     {"GetTasks", "XO tasks, oldest first (non-admin users: their own)", kAllow, "@list", "",
      "200 [XoTask]"}},
    Route{"DELETE", "rest/v0/tasks", kUser, &delete_tasks,
     {"DeleteTasks", "Delete every finished task (non-admin users: their own)", kConfirm, "", "",
      "204"}},
    Route{"GET", "rest/v0/tasks/{id}", kUser, &get_task,
     {"GetTask", "One XO task (wait=result or wait=true: once finished; bare wait: at its next change)",
      kAllow, "wait", "", "200 XoTask, 503"}},
    Route{"DELETE", "rest/v0/tasks/{id}", kUser, &delete_task,
     {"DeleteTask", "Delete a task (a pending one is aborted, then deleted once it ended)", kConfirm, "", "",
      "204, 409"}},
    Route{"GET", "rest/v0/tasks/{id}/actions", kUser, &list_task_actions,
     {"GetTaskActions", "The task's actions: abort while it is pending", kAllow, "", "", "200 [string]"}},
    Route{"POST", "rest/v0/tasks/{id}/actions/abort", kUser, &abort_task,
     {"AbortTask", "Abort a pending task (cancels the XAPI task behind it)", kConfirm, "sync", "",
      "202 ActionTask, 204, 409"}},
    // Server-sent events (current XO): nginx sends /rest/v0/events... to the stream role
    // (fcgi-app/stream/sse.h); these rows document them, a worker reached by one answers 503.
    Route{"GET", "rest/v0/events", kAdmin, &served_by_stream,
     {"OpenSseConnection",
      "Open a server-sent events stream (text/event-stream): an init frame with the connection id, "
      "a ping every 30 s, then add/update/remove frames of its subscriptions",
      kAllow, "", "", "200"}},
    Route{"POST", "rest/v0/events/{id}/subscriptions", kAdmin, &served_by_stream,
     {"AddSubscription",
      "Subscribe an SSE connection to a collection by XO type name (VM, host, SR, task, ...), "
      "optionally projected to fields",
      kConfirm, "", "AddSubscriptionBody", "201 SseSubscription"}},
    Route{"DELETE", "rest/v0/events/{id}/subscriptions/{subscriptionId}", kAdmin, &served_by_stream,
     {"RemoveSubscription", "End an SSE connection's subscription to a collection (its XO type name)",
      kConfirm, "", "", "204"}},
    Route{"GET", "rest/v0/vms/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVmTasks", "XO tasks about a VM (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vm-templates/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVmTemplateTasks", "XO tasks about a VM template (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVmSnapshotTasks", "XO tasks about a VM snapshot (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vm-controllers/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVmControllerTasks", "XO tasks about a VM controller (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vifs/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVifTasks", "XO tasks about a VIF (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vdis/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVdiTasks", "XO tasks about a VDI (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vdi-snapshots/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVdiSnapshotTasks", "XO tasks about a VDI snapshot (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/vbds/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetVbdTasks", "XO tasks about a VBD (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/srs/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetSrTasks", "XO tasks about a SR (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/pools/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetPoolTasks", "XO tasks about a pool (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/pifs/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetPifTasks", "XO tasks about a PIF (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/networks/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetNetworkTasks", "XO tasks about a network (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/hosts/{id}/tasks", kAdmin, &list_object_tasks,
     {"GetHostTasks", "XO tasks about a host (properties.objectId)", kAllow, "@list", "", "200 [XoTask], 503"}},
    Route{"GET", "rest/v0/dashboard", kAdmin, &get_dashboard,
     {"GetDashboard", "Counts of pools, hosts and VMs by state", kAllow, "", "", "200 Dashboard"}},
    Route{"GET", "rest/v0/vms/{id}/stats", kAdmin, &get_vm_stats,
     {"GetVmStats", "RRD statistics of a VM (XO's xapi-stats shape)", kDeny, "granularity", "",
      "200 XapiStats, 503"}},
    Route{"GET", "rest/v0/hosts/{id}/stats", kAdmin, &get_host_stats,
     {"GetHostStats", "RRD statistics of a host (XO's xapi-stats shape)", kDeny, "granularity", "",
      "200 XapiStats, 503"}},
    Route{"GET", "rest/v0/pools/{id}/stats", kAdmin, &get_pool_stats,
     {"GetStats", "RRD statistics of a pool's hosts", kDeny, "granularity", "", "200 XapiStats, 503"}},
    Route{"GET", "rest/v0/hosts/{id}/missing_patches", kAdmin, &get_host_missing_patches,
     {"GetMissingPatches", "Patches missing on a host", kAllow, "", "", "200 MissingPatches, 503"}},
    Route{"GET", "rest/v0/pools/{id}/missing_patches", kAdmin, &get_pool_missing_patches,
     {"GetPoolMissingPatches", "Patches missing on a pool's hosts", kAllow, "", "",
      "200 MissingPatches, 503"}},
    Route{"GET", "rest/v0/hosts/{id}/smt", kAdmin, &get_host_smt,
     {"GethostSmt", "Whether simultaneous multithreading is enabled on a host", kAllow, "", "",
      "200 HostSmt, 503"}},
    Route{"GET", "rest/v0/hosts/{id}/logs.tgz", kAdmin, &get_host_logs,
     {"GetHostLogs", "The host's logs archive (tar.gz)", kDeny, "", "", "200, 503"}},
    Route{"GET", "rest/v0/pools/{id}/dashboard", kAdmin, &get_pool_dashboard,
     {"GetPoolDashboard", "A pool's dashboard", kAllow, "ndjson", "", "200 PoolDashboard, 503"}},
    Route{"GET", "rest/v0/vms/{id}/dashboard", kAdmin, &get_vm_dashboard,
     {"GetVmDashboard", "A VM's dashboard", kAllow, "ndjson", "", "200 VmDashboard, 503"}},
    Route{"GET", "rest/v0/pools", kAdmin, &list_collection,
     {"GetPools", "The pools", kAllow, "@list", "", "200 [XoPool], 503"}},
    Route{"POST", "rest/v0/pools/{id}/vms", kAdmin, &post_pool_vm_import,
     {"ImportVm", "Import an XVA into a pool (default SR unless ?sr=)", kConfirm, "sr upload", "", "201, 503"}},
    Route{"GET", "rest/v0/pools/{id}", kAdmin, &get_object,
     {"GetPool", "One pool", kAllow, "", "", "200 XoPool, 304, 503"}},
    Route{"PATCH", "rest/v0/pools/{id}", kAdmin, &patch_object,
     {"UpdatePool", "Change name_label, name_description or tags of a pool", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/pools/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutPoolTag", "Add a tag to a pool (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/pools/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeletePoolTag", "Remove a tag from a pool (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/pools/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetPoolAlarms", "Alarms of a pool", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/pools/{id}/messages", kAdmin, &list_sub_collection,
     {"GetPoolMessages", "Messages of a pool", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/hosts", kAdmin, &list_collection,
     {"GetHosts", "The hosts", kAllow, "@list", "", "200 [XoHost], 503"}},
    Route{"GET", "rest/v0/hosts/{id}", kAdmin, &get_object,
     {"GetHost", "One host", kAllow, "", "", "200 XoHost, 304, 503"}},
    Route{"PATCH", "rest/v0/hosts/{id}", kAdmin, &patch_object,
     {"UpdateHost", "Change name_label, name_description or tags of a host", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/hosts/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutHostTag", "Add a tag to a host (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/hosts/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteHostTag", "Remove a tag from a host (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/hosts/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetHostAlarms", "Alarms of a host", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/hosts/{id}/messages", kAdmin, &list_sub_collection,
     {"GetHostMessages", "Messages of a host", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vms", kAdmin, &list_collection,
     {"GetVms", "The VMs", kAllow, "@list", "", "200 [XoVm], 503"}},
    Route{"GET", "rest/v0/vms/{id}.{format}", kAdmin, &get_vm_export,
     {"ExportVm", "Export a VM as XVA (a running VM is snapshotted first, the snapshot removed after)",
      kDeny, "compress", "", "200, 422, 503"}},
    Route{"GET", "rest/v0/vms/{id}", kAdmin, &get_object,
     {"GetVm", "One VM", kAllow, "", "", "200 XoVm, 304, 503"}},
    Route{"DELETE", "rest/v0/vms/{id}", kAdmin, &delete_object,
     {"DeleteVm", "Destroy a VM, its disks (those no other VM uses) and its snapshots; 409 unless halted", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/vms/{id}", kAdmin, &patch_object,
     {"UpdateVm", "Change a VM: the seed's snake_case keys or current XO's camelCase ones", Mcp::kNone, "", "UpdateVmBody",
      "204, 409, 412, 501, 504"}},
    Route{"PUT", "rest/v0/vms/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVmTag", "Add a tag to a VM (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vms/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVmTag", "Remove a tag from a VM (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vms/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVmAlarms", "Alarms of a VM", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vms/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVmMessages", "Messages of a VM", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vms/{id}/vdis", kAdmin, &list_sub_collection,
     {"GetVmVdis", "VDIs plugged into a VM", kAllow, "@list", "", "200 [XoVdi], 503"}},
    Route{"GET", "rest/v0/vm-templates", kAdmin, &list_collection,
     {"GetVmTemplates", "The VM templates", kAllow, "@list", "", "200 [XoVmTemplate], 503"}},
    Route{"GET", "rest/v0/vm-templates/{id}.{format}", kAdmin, &get_vm_export,
     {"ExportVmTemplate", "Export a VM template as XVA", kDeny, "compress", "", "200, 422, 503"}},
    Route{"GET", "rest/v0/vm-templates/{id}", kAdmin, &get_object,
     {"GetVmTemplate", "One VM template", kAllow, "", "", "200 XoVmTemplate, 304, 503"}},
    Route{"DELETE", "rest/v0/vm-templates/{id}", kAdmin, &delete_object,
     {"DeleteVmTemplate", "Destroy a VM template with its disks", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/vm-templates/{id}", kAdmin, &patch_object,
     {"UpdateVmTemplate", "Change name_label, name_description or tags of a VM template", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/vm-templates/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVmTemplateTag", "Add a tag to a VM template (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vm-templates/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVmTemplateTag", "Remove a tag from a VM template (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vm-templates/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVmTemplateAlarms", "Alarms of a VM template", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vm-templates/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVmTemplateMessages", "Messages of a VM template", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vm-templates/{id}/vdis", kAdmin, &list_sub_collection,
     {"GetVmTemplateVdis", "VDIs plugged into a VM template", kAllow, "@list", "", "200 [XoVdi], 503"}},
    Route{"GET", "rest/v0/vm-snapshots", kAdmin, &list_collection,
     {"GetVmSnapshots", "The VM snapshots", kAllow, "@list", "", "200 [XoVmSnapshot], 503"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}.{format}", kAdmin, &get_vm_export,
     {"ExportVmSnapshot", "Export a VM snapshot as XVA", kDeny, "compress", "", "200, 422, 503"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}", kAdmin, &get_object,
     {"GetVmSnapshot", "One VM snapshot", kAllow, "", "", "200 XoVmSnapshot, 304, 503"}},
    Route{"DELETE", "rest/v0/vm-snapshots/{id}", kAdmin, &delete_object,
     {"DeleteVmSnapshot", "Destroy a VM snapshot with its disks", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/vm-snapshots/{id}", kAdmin, &patch_object,
     {"UpdateVmSnapshot", "Change name_label, name_description or tags of a VM snapshot", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/vm-snapshots/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVmSnapshotTag", "Add a tag to a VM snapshot (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vm-snapshots/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVmSnapshotTag", "Remove a tag from a VM snapshot (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVmSnapshotAlarms", "Alarms of a VM snapshot", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVmSnapshotsMessages", "Messages of a VM snapshot", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vm-snapshots/{id}/vdis", kAdmin, &list_sub_collection,
     {"GetVmSnapshotVdis", "VDIs plugged into a VM snapshot", kAllow, "@list", "", "200 [XoVdi], 503"}},
    Route{"GET", "rest/v0/vm-controllers", kAdmin, &list_collection,
     {"GetVmControllers", "The VM controllers (dom0)", kAllow, "@list", "", "200 [XoVmController], 503"}},
    Route{"GET", "rest/v0/vm-controllers/{id}", kAdmin, &get_object,
     {"GetVmController", "One VM controller", kAllow, "", "", "200 XoVmController, 304, 503"}},
    Route{"PATCH", "rest/v0/vm-controllers/{id}", kAdmin, &patch_object,
     {"UpdateVmController", "Change name_label, name_description or tags of a VM controller", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/vm-controllers/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVmControllerTag", "Add a tag to a VM controller (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vm-controllers/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVmControllerTag", "Remove a tag from a VM controller (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vm-controllers/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVmControllerAlarms", "Alarms of a VM controller", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vm-controllers/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVmControllerMessages", "Messages of a VM controller", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vm-controllers/{id}/vdis", kAdmin, &list_sub_collection,
     {"GetVmControllerVdis", "VDIs plugged into a VM controller", kAllow, "@list", "", "200 [XoVdi], 503"}},
    Route{"GET", "rest/v0/vdis", kAdmin, &list_collection,
     {"GetVdis", "The VDIs", kAllow, "@list", "", "200 [XoVdi], 503"}},
    Route{"PUT", "rest/v0/vdis/{id}.{format}", kAdmin, &put_vdi_import,
     {"ImportVdiContent", "Write a VHD or raw image into an existing VDI of the same size", kDeny, "upload", "",
      "204, 422, 503"}},
    Route{"GET", "rest/v0/vdis/{id}.{format}", kAdmin, &get_vdi_export,
     {"ExportVdiContent", "A VDI's content as VHD or raw (raw: one byte Range, curl -C -)", kDeny,
      "preferNbd nbdConcurrency", "", "200, 206, 416, 422, 503"}},
    Route{"POST", "rest/v0/vdis", kAdmin, &create_object,
     {"CreateVdi", "Create a VDI on a SR", kConfirm, "", "CreateVdiBody", "201 CreatedId, 409, 504"}},
    Route{"GET", "rest/v0/vdis/{id}", kAdmin, &get_object,
     {"GetVdi", "One VDI", kAllow, "", "", "200 XoVdi, 304, 503"}},
    Route{"DELETE", "rest/v0/vdis/{id}", kAdmin, &delete_object,
     {"DeleteVdi", "Destroy a VDI", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/vdis/{id}", kAdmin, &patch_object,
     {"UpdateVdi", "Change name_label, name_description or tags of a VDI", kConfirm, "", "UpdateVdiBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/vdis/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVdiTag", "Add a tag to a VDI (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vdis/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVdiTag", "Remove a tag from a VDI (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vdis/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVdiAlarms", "Alarms of a VDI", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vdis/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVdiMessages", "Messages of a VDI", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vdi-snapshots", kAdmin, &list_collection,
     {"GetVdiSnapshots", "The VDI snapshots", kAllow, "@list", "", "200 [XoVdiSnapshot], 503"}},
    Route{"GET", "rest/v0/vdi-snapshots/{id}.{format}", kAdmin, &get_vdi_export,
     {"ExportVdiSnapshotContent", "A VDI snapshot's content as VHD or raw (raw: one byte Range, curl -C -)",
      kDeny, "preferNbd nbdConcurrency", "", "200, 206, 416, 422, 503"}},
    Route{"GET", "rest/v0/vdi-snapshots/{id}", kAdmin, &get_object,
     {"GetVdiSnapshot", "One VDI snapshot", kAllow, "", "", "200 XoVdiSnapshot, 304, 503"}},
    Route{"DELETE", "rest/v0/vdi-snapshots/{id}", kAdmin, &delete_object,
     {"DeleteVdiSnapshot", "Destroy a VDI snapshot", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/vdi-snapshots/{id}", kAdmin, &patch_object,
     {"UpdateVdiSnapshot", "Change name_label, name_description or tags of a VDI snapshot", kConfirm, "", "UpdateVdiBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/vdi-snapshots/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutVdiSnapshotTag", "Add a tag to a VDI snapshot (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/vdi-snapshots/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteVdiSnapshotTag", "Remove a tag from a VDI snapshot (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/vdi-snapshots/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVdiSnapshotAlarms", "Alarms of a VDI snapshot", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vdi-snapshots/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVdiSnapshotMessages", "Messages of a VDI snapshot", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/srs", kAdmin, &list_collection,
     {"GetSrs", "The SRs", kAllow, "@list", "", "200 [XoSr], 503"}},
    Route{"POST", "rest/v0/srs/{id}/vdis", kAdmin, &post_sr_vdi_import,
     {"SrImportVdi", "Create a VDI from a VHD (or raw) image", kConfirm, "raw name_label name_description upload", "",
      "200, 201, 503"}},
    Route{"POST", "rest/v0/srs", kAdmin, &create_sr,
     {"CreateSr", "Create a SR on a host (SR.create; shared from the SR type, as XO)", kConfirm, "",
      "CreateSrBody", "201 CreatedId, 409, 501, 504"}},
    // Resumable uploads (tus 1.0.0; transfer/upload_routes.h), named by the imports' ?upload=.
    Route{"POST", "rest/v0/uploads", kAdmin, &post_upload,
     {"CreateUpload", "Create a resumable upload (tus 1.0.0: Tus-Resumable, Upload-Length, Upload-Metadata sha256)",
      kDeny, "", "", "201, 412, 413, 503"}},
    Route{"GET", "rest/v0/uploads/{id}", kAdmin, &get_upload,
     {"GetUpload", "A resumable upload's offset and length (HEAD: Upload-Offset, as tus)", kDeny, "", "",
      "200, 412"}},
    Route{"PATCH", "rest/v0/uploads/{id}", kAdmin, &patch_upload,
     {"PatchUpload", "Append a piece at Upload-Offset (application/offset+octet-stream)", kDeny, "", "",
      "204, 409, 412, 415, 460"}},
    Route{"DELETE", "rest/v0/uploads/{id}", kAdmin, &delete_upload,
     {"DeleteUpload", "Drop a resumable upload and its bytes", kDeny, "", "", "204, 412"}},
    Route{"GET", "rest/v0/srs/{id}", kAdmin, &get_object,
     {"GetSr", "One SR", kAllow, "", "", "200 XoSr, 304, 503"}},
    Route{"DELETE", "rest/v0/srs/{id}", kAdmin, &delete_sr,
     {"DeleteSr", "Destroy a SR: its PBDs unplugged, then SR.destroy (a SR with disks is a 409)", kConfirm, "",
      "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/srs/{id}", kAdmin, &patch_object,
     {"UpdateSr", "Change name_label, name_description or tags of a SR", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/srs/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutSrTag", "Add a tag to a SR (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/srs/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteSrTag", "Remove a tag from a SR (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/srs/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetSrAlarms", "Alarms of a SR", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/srs/{id}/messages", kAdmin, &list_sub_collection,
     {"GetSrMessages", "Messages of a SR", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/networks", kAdmin, &list_collection,
     {"GetNetworks", "The networks", kAllow, "@list", "", "200 [XoNetwork], 503"}},
    Route{"GET", "rest/v0/networks/{id}", kAdmin, &get_object,
     {"GetNetwork", "One network", kAllow, "", "", "200 XoNetwork, 304, 503"}},
    Route{"DELETE", "rest/v0/networks/{id}", kAdmin, &delete_object,
     {"DeleteNetwork", "Destroy a network", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"PATCH", "rest/v0/networks/{id}", kAdmin, &patch_object,
     {"UpdateNetwork", "Change name_label, name_description or tags of a network", kConfirm, "", "PatchObjectBody",
      "204, 409, 412, 504"}},
    Route{"PUT", "rest/v0/networks/{id}/tags/{tag}", kAdmin, &put_tag,
     {"PutNetworkTag", "Add a tag to a network (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"DELETE", "rest/v0/networks/{id}/tags/{tag}", kAdmin, &delete_tag,
     {"DeleteNetworkTag", "Remove a tag from a network (idempotent)", kConfirm, "", "", "204, 412, 504"}},
    Route{"GET", "rest/v0/networks/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetNetworkAlarms", "Alarms of a network", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/networks/{id}/messages", kAdmin, &list_sub_collection,
     {"GetNetworkMessages", "Messages of a network", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/pifs", kAdmin, &list_collection,
     {"GetPifs", "The PIFs", kAllow, "@list", "", "200 [XoPif], 503"}},
    Route{"GET", "rest/v0/pifs/{id}", kAdmin, &get_object,
     {"GetPif", "One PIF", kAllow, "", "", "200 XoPif, 304, 503"}},
    Route{"GET", "rest/v0/pifs/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetPifAlarms", "Alarms of a PIF", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/pifs/{id}/messages", kAdmin, &list_sub_collection,
     {"GetPifMessages", "Messages of a PIF", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vifs", kAdmin, &list_collection,
     {"GetVifs", "The VIFs", kAllow, "@list", "", "200 [XoVif], 503"}},
    Route{"POST", "rest/v0/vifs", kAdmin, &create_object,
     {"CreateVif", "Create a VIF on a VM", kConfirm, "", "CreateVifBody", "201 CreatedId, 409, 504"}},
    Route{"GET", "rest/v0/vifs/{id}", kAdmin, &get_object,
     {"GetVif", "One VIF", kAllow, "", "", "200 XoVif, 304, 503"}},
    Route{"PATCH", "rest/v0/vifs/{id}", kAdmin, &patch_object,
     {"UpdateVif", "Change a VIF's locking mode, allowed addresses, rate limit and TX checksumming", kConfirm, "", "UpdateVifBody",
      "204, 409, 412, 504"}},
    Route{"DELETE", "rest/v0/vifs/{id}", kAdmin, &delete_object,
     {"DestroyVif", "Destroy a VIF", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"GET", "rest/v0/vifs/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVifAlarms", "Alarms of a VIF", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vifs/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVifMessages", "Messages of a VIF", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/vbds", kAdmin, &list_collection,
     {"GetVbds", "The VBDs", kAllow, "@list", "", "200 [XoVbd], 503"}},
    Route{"POST", "rest/v0/vbds", kAdmin, &create_object,
     {"CreateVbd", "Attach a VDI to a VM (a new VBD)", kConfirm, "", "CreateVbdBody", "201 CreatedId, 409, 504"}},
    Route{"GET", "rest/v0/vbds/{id}", kAdmin, &get_object,
     {"GetVbd", "One VBD", kAllow, "", "", "200 XoVbd, 304, 503"}},
    Route{"DELETE", "rest/v0/vbds/{id}", kAdmin, &delete_object,
     {"DeleteVbd", "Destroy a VBD (the VDI stays)", kConfirm, "", "", "204, 409, 412, 504"}},
    Route{"GET", "rest/v0/vbds/{id}/alarms", kAdmin, &list_sub_collection,
     {"GetVbdAlarms", "Alarms of a VBD", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/vbds/{id}/messages", kAdmin, &list_sub_collection,
     {"GetVbdMessages", "Messages of a VBD", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/pbds", kAdmin, &list_collection,
     {"GetPbds", "The PBDs", kAllow, "@list", "", "200 [XoPbd], 503"}},
    Route{"GET", "rest/v0/pbds/{id}", kAdmin, &get_object,
     {"GetPbd", "One PBD", kAllow, "", "", "200 XoPbd, 304, 503"}},
    Route{"GET", "rest/v0/messages", kAdmin, &list_collection,
     {"GetMessages", "The messages", kAllow, "@list", "", "200 [XoMessage], 503"}},
    Route{"GET", "rest/v0/messages/{id}", kAdmin, &get_object,
     {"GetMessage", "One message", kAllow, "", "", "200 XoMessage, 304, 503"}},
    Route{"GET", "rest/v0/alarms", kAdmin, &list_collection,
     {"GetAlarms", "The alarms", kAllow, "@list", "", "200 [XoAlarm], 503"}},
    Route{"GET", "rest/v0/alarms/{id}", kAdmin, &get_object,
     {"GetAlarm", "One alarm", kAllow, "", "", "200 XoAlarm, 304, 503"}},
    Route{"GET", "rest/v0/sms", kAdmin, &list_collection,
     {"GetSms", "The storage managers (SM)", kAllow, "@list", "", "200 [XoSm], 503"}},
    Route{"GET", "rest/v0/sms/{id}", kAdmin, &get_object,
     {"GetSm", "One storage manager", kAllow, "", "", "200 XoSm, 304, 503"}},
    Route{"GET", "rest/v0/pcis", kAdmin, &list_collection,
     {"GetPcis", "The PCI devices", kAllow, "@list", "", "200 [XoPci], 503"}},
    Route{"GET", "rest/v0/pcis/{id}", kAdmin, &get_object,
     {"GetPci", "One PCI device", kAllow, "", "", "200 XoPci, 304, 503"}},
    Route{"GET", "rest/v0/pgpus", kAdmin, &list_collection,
     {"GetPgpus", "The physical GPUs", kAllow, "@list", "", "200 [XoPgpu], 503"}},
    Route{"GET", "rest/v0/pgpus/{id}", kAdmin, &get_object,
     {"GetPgpu", "One physical GPU", kAllow, "", "", "200 XoPgpu, 304, 503"}},
};
// clang-format on

// "vm-snapshots" -> "VmSnapshots" (operationIds of generated rows).
std::string pascal(std::string_view collection) {
  std::string out;
  bool up = true;
  for (char c : collection) {
    if (c == '-') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c) : c;
    up = false;
  }
  return out;
}

// The listing rows of each collection that has actions (GET .../_/actions[/{action}] and
// .../{id}/actions[/{action}]).
void add_listing_routes(std::vector<Route>& out, std::deque<std::string>& text) {
  std::vector<std::string_view> done;
  for (const actions::ActionSpec& a : actions::catalogue()) {
    if (a.hidden || std::find(done.begin(), done.end(), a.collection) != done.end()) continue;
    done.push_back(a.collection);
    const std::string c(a.collection);
    const std::string p = pascal(c);
    auto row = [&](std::string pattern, Handler h, std::string op, std::string summary, std::string_view query,
                   std::string_view result) {
      const std::string& pat = text.emplace_back(std::move(pattern));
      const std::string& id = text.emplace_back(std::move(op));
      const std::string& sum = text.emplace_back(std::move(summary));
      out.push_back(Route{"GET", pat, kAdmin, h, {id, sum, kAllow, query, "", result}});
    };
    row("rest/v0/" + c + "/_/actions", &list_actions, "Get" + p + "Actions",
        "The actions of " + c + " (fields=params: their parameter schemas)", "@list", "200 [string]");
    row("rest/v0/" + c + "/_/actions/{action}", &get_action, "Get" + p + "Action",
        "The parameters of one action of " + c + " ({\"params\": schema} or {})", "", "200 ActionDescription");
    row("rest/v0/" + c + "/{id}/actions", &list_actions, "Get" + p + "ObjectActions",
        "The actions of one of the " + c, "@list", "200 [string]");
    row("rest/v0/" + c + "/{id}/actions/{action}", &get_action, "Get" + p + "ObjectAction",
        "One action of one of the " + c, "", "200 ActionDescription");
  }
}

// Rows generated from the action catalogue (fcgi-app/actions): the listings, and each action's
// POST rest/v0/<collection>/{id}/actions/<name>.
std::vector<Route> all_routes() {
  static std::deque<std::string> text;  // the generated patterns and names, alive for good
  std::vector<Route> out(kRoutes.begin(), kRoutes.end());
  add_listing_routes(out, text);
  for (const actions::ActionSpec& a : actions::catalogue()) {
    if (a.hidden) continue;
    const std::string& pattern =
        text.emplace_back("rest/v0/" + std::string(a.collection) + "/{id}/actions/" + std::string(a.name));
    const std::string& body = a.params.empty() ? text.emplace_back() : text.emplace_back(action_body_schema(a));
    const std::string_view result = a.returns == actions::Returns::kNothing
                                        ? "202 ActionTask, 204"
                                        : "202 ActionTask, 201 CreatedId";
    out.push_back(Route{"POST", pattern, kAdmin, &post_action,
                        {a.operation_id, a.summary, a.mcp == "deny" ? Mcp::kDeny : kConfirm, "sync", body,
                         result}});
  }
  return out;
}

const std::vector<Route>& table() {
  static const std::vector<Route> t = all_routes();
  return t;
}

// A route's pattern, split once: the literal segments and where the captures are.
struct Compiled {
  std::vector<std::string_view> segs;  // "{...}" marks a capture, "**" the rest
  bool rest = false;
};

std::vector<Compiled> compile_all() {
  std::vector<Compiled> out;
  for (const Route& r : table()) {
    Compiled c;
    std::string_view p = r.pattern;
    while (!p.empty()) {
      size_t slash = p.find('/');
      c.segs.push_back(p.substr(0, slash));
      p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    }
    c.rest = !c.segs.empty() && c.segs.back() == "**";
    out.push_back(std::move(c));
  }
  return out;
}

bool is_capture(std::string_view s) { return s.size() >= 2 && s.front() == '{' && s.back() == '}'; }
// "{id}.{format}": two captures split at the request segment's last dot (both non-empty).
bool is_dotted_capture(std::string_view s) {
  return is_capture(s) && s.find("}.{") != std::string_view::npos;
}

// Routes by their third segment ("vms" in rest/v0/vms/...), so a request is compared with a
// handful of rows, not the whole table; rows with no literal there are in every bucket.
struct Index {
  std::vector<Compiled> compiled = compile_all();
  std::map<std::string_view, std::vector<size_t>, std::less<>> by_key;
  std::vector<size_t> any_key;

  Index() {
    for (size_t i = 0; i < table().size(); ++i) {
      const auto& s = compiled[i].segs;
      if (s.size() > 2 && !is_capture(s[2]) && s[2] != "**") by_key[s[2]];
    }
    for (size_t i = 0; i < table().size(); ++i) {
      const auto& s = compiled[i].segs;
      if (s.size() > 2 && !is_capture(s[2]) && s[2] != "**") {
        by_key[s[2]].push_back(i);
      } else {
        any_key.push_back(i);
        for (auto& [k, list] : by_key) list.push_back(i);
      }
    }
  }
  const std::vector<size_t>& candidates(const std::vector<std::string>& segs) const {
    if (segs.size() > 2) {
      auto it = by_key.find(std::string_view(segs[2]));
      if (it != by_key.end()) return it->second;
    }
    return any_key;
  }
};

const Index& index() {
  static const Index idx;
  return idx;
}

bool match(const Compiled& c, const std::vector<std::string>& segs, std::vector<std::string>* params) {
  params->clear();
  if (!c.rest && c.segs.size() != segs.size()) return false;
  for (size_t i = 0; i < c.segs.size(); ++i) {
    std::string_view p = c.segs[i];
    if (p == "**") {
      std::string rest;
      for (size_t j = i; j < segs.size(); ++j) rest += "/" + url_decode(segs[j], false);
      params->push_back(rest);
      return true;
    }
    if (i >= segs.size()) return false;
    if (is_dotted_capture(p)) {
      size_t dot = segs[i].rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == segs[i].size()) return false;
      params->push_back(url_decode(segs[i].substr(0, dot), false));
      params->push_back(url_decode(segs[i].substr(dot + 1), false));
    } else if (is_capture(p)) {
      if (segs[i].empty()) return false;  // as Express: a parameter is never empty
      params->push_back(url_decode(segs[i], false));
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}

bool method_matches(std::string_view route, std::string_view method) {
  return route == "*" || route == method || (route == "GET" && method == "HEAD");
}

Status check_access(Context& ctx, Access access) {
  if (access == Access::kPublic) return Status::ok();
  if (!ctx.user) return Status(ErrorKind::kUnauthorized, "invalid credentials");
  if (access == Access::kAdmin && ctx.user->permission != "admin") {
    ctx.error_data = "{\"object\":{}}";
    return Status(ErrorKind::kForbidden, "not enough permissions");
  }
  return Status::ok();
}

// The methods routed for a path, in XO's (Express's) Allow form: "GET,HEAD,PATCH".
std::string allowed_methods(const std::vector<std::string>& segs) {
  constexpr std::string_view kAll[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  bool allowed[std::size(kAll)] = {};
  std::vector<std::string> params;
  for (size_t a = 0; a < std::size(kAll); ++a) {
    allowed[a] = kAll[a] != "HEAD" && find_route(kAll[a], segs, &params) != nullptr;
  }
  allowed[1] = allowed[0];  // GET routes answer HEAD
  std::string out;
  for (size_t a = 0; a < std::size(kAll); ++a) {
    if (allowed[a]) out.append(out.empty() ? "" : ",").append(kAll[a]);
  }
  return out;
}

Status not_found(Context& ctx) {
  return Status(ErrorKind::kNotFound, "Cannot " + ctx.req.method() + " " + ctx.req.raw_path());
}

// OPTIONS, as Express answers it for XO: 200, the routed methods in Allow and the body, no
// credentials needed; a path with no route is a 404 like any other.
Status answer_options(Context& ctx) {
  std::string allow = allowed_methods(ctx.req.raw_segments());
  if (allow.empty()) return not_found(ctx);
  ctx.res.add_header("Allow", allow);
  ctx.res.send(200, "text/plain; charset=utf-8", allow);
  return Status::ok();
}

Status run(Context& ctx) {
  XR_RETURN_IF_ERROR(check_mcp_gate(ctx));  // before credentials: refused whoever asks
  if (ctx.req.method() == "OPTIONS") return answer_options(ctx);
  // Literal segments match the path as sent (vm%73 is not vms); captures are decoded.
  const Route* found = find_route(ctx.req.method(), ctx.req.raw_segments(), &ctx.params);
  // No route is a 404 whatever the credentials, as XO (Express) answers before any auth.
  if (found == nullptr) return not_found(ctx);
  ctx.route = found;  // for the metrics too when the credentials fail
  if (found->access == Access::kPage) return found->handler(ctx);
  // Credentials, when present, are always checked (even for a route that needs none).
  auto user = authenticate(ctx.req, ctx.svc, ctx.res);
  if (!user.is_ok()) return user.status();
  ctx.user = std::move(*user);
  // A session cookie rides along with any request the browser makes, wherever the page
  // that makes it comes from: state changes must come from this site.
  if (ctx.user && authenticated_by_cookie(ctx.req)) XR_RETURN_IF_ERROR(check_same_site(ctx.req));
  XR_RETURN_IF_ERROR(check_access(ctx, found->access));
  if (found->access != Access::kPublic) XR_RETURN_IF_ERROR(check_route_scope(ctx));
  XR_RETURN_IF_ERROR(check_rate_limit(ctx));
  bool replayed = false;
  XR_RETURN_IF_ERROR(idempotency_begin(ctx, &replayed));
  if (replayed) return Status::ok();
  return found->handler(ctx);
}

}  // namespace

std::span<const Route> routes() { return table(); }

std::string action_body_schema(const actions::ActionSpec& a) {
  return std::string(a.operation_id) + "Body";
}

const Route* find_route(std::string_view method, const std::vector<std::string>& segments,
                        std::vector<std::string>* params) {
  const Index& idx = index();
  for (size_t i : idx.candidates(segments)) {
    const Route& r = table()[i];
    if (method_matches(r.method, method) && match(idx.compiled[i], segments, params)) return &r;
  }
  params->clear();
  return nullptr;
}

void dispatch(Request& req, Response& res, Services& svc) {
  const auto start = std::chrono::steady_clock::now();
  Context ctx{req, res, svc, {}, std::nullopt, {}, nullptr, {}};
  Status s = run(ctx);
  if (!s.is_ok()) {
    // After the headers it is too late for a status: the request is aborted (no
    // FCGI_END_REQUEST) so the client sees an incomplete answer, never a well-ended one.
    if (!res.headers_sent()) {
      write_error(res, s, ctx.error_data);
    } else {
      res.abort();
    }
  } else if (!res.failed()) {
    res.finish();
  }
  idempotency_end(ctx);
  audit_request(ctx);
  metrics::record_request(ctx.route != nullptr ? static_cast<int>(ctx.route - routes().data()) : -1,
                          res.status(), std::chrono::steady_clock::now() - start);
}

}  // namespace xr::app

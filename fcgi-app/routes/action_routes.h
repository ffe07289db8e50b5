// Actions (reference §a.5, §b.5, §e): listing and describing the actions of a collection or an
// object, POST to run one as an XO task queued for the runner (async 202 + task, or waiting
// for it with ?sync / sync=true), and the tasks' own abort action. Worker request thread;
// database I/O; a ?sync request waits on the task (task_wait.h).
#pragma once

#include <rapidjson/document.h>

#include "routes/context.h"

namespace xr::app {

namespace actions {
struct ActionSpec;
}

Status list_actions(Context& ctx);       // GET /<collection>/_/actions, /<collection>/{id}/actions
Status get_action(Context& ctx);         // GET .../actions/{action}
Status post_action(Context& ctx);        // POST /<collection>/{id}/actions/<name> (generated rows)
Status list_task_actions(Context& ctx);  // GET /tasks/{id}/actions
Status abort_task(Context& ctx);         // POST /tasks/{id}/actions/abort

// For another route that runs a catalogue action as an XO task (e.g. a long DELETE, with a
// `hidden` catalogue row): queues `action` on `object` (its cached XO JSON: id, _xapiRef,
// $pool) with validated `params`, and answers as an action POST does (202 + task, or
// waiting with ?sync / sync=true).
Status start_action(Context& ctx, const actions::ActionSpec& action, const rapidjson::Value& object,
                    const rapidjson::Value& params);

}  // namespace xr::app

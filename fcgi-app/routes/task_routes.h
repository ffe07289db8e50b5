// XO tasks (reference §a.6, §c.11): list, read, delete one or all. Non-admin users see and
// delete their own tasks only. Worker request thread; database I/O on the thread's store.
#pragma once

#include "routes/context.h"

namespace xr::app {

Status list_tasks(Context& ctx);
Status get_task(Context& ctx);
Status delete_task(Context& ctx);
Status delete_tasks(Context& ctx);
// GET /<collection>/{id}/tasks: the tasks whose properties.objectId is the object.
Status list_object_tasks(Context& ctx);

}  // namespace xr::app

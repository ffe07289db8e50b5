// Internal to lib/tasks: reading task rows (the column list of task_store.cpp) and checking
// JSON texts, shared by the TaskStore's .cpp files. Any thread.
#pragma once

#include <string>
#include <string_view>

#include "store/db.h"
#include "tasks/task.h"

namespace xr::tasks::detail {

// A task from a row of select_sql(...).
Task from_row(const store::Row& r);
// "SELECT <every column> FROM tasks <tail>".
std::string select_sql(std::string_view tail);
bool is_json(std::string_view text);

}  // namespace xr::tasks::detail

// Test/benchmark helper: turns a JSON dump of XAPI records
// ({"<class>": {"<ref>": {record}}}, as written by dump_records.py) into the full-resync
// EventBatch the XAPI event loop would deliver. Any thread.
#pragma once

#include <string>

#include "base/status.h"
#include "xapi/event.h"

namespace xr::xotools {

Result<xapi::EventBatch> batch_from_records_json(const std::string& json);
Result<std::string> read_file(const std::string& path);

}  // namespace xr::xotools

// The XO object schemas and examples: generated from what the model (lib/xo) emits for the
// simulator's pool by tests/conformance/gen_xo_objects.py into xo_objects.json, compiled in.
// The default fields are ours: what a person wants to see in a list (and what XO's MCP
// server asks for by default: the keys of a list's first example). Constant data; any thread.
#pragma once

#include <span>
#include <string_view>

namespace xr::app::openapi {

struct XoObjectDoc {
  std::string_view schema;          // component name, "XoVm"
  std::string_view collection;      // "vms"
  std::string_view default_fields;  // the list example's fields, comma-separated
};

std::span<const XoObjectDoc> xo_object_docs();
// {"XoVm": {"collection": "vms", "schema": {...}, "examples": [{...}, ...]}, ...}
std::string_view xo_objects_json();

}  // namespace xr::app::openapi

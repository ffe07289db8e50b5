// XML-RPC request writer: turns a method name and Values into the exact body xapi
// expects (§1.2 of the XAPI reference). Pure functions, any thread, never blocks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xapi/value.h"

namespace xr::xapi {

// `<?xml version="1.0"?><methodCall><methodName>m</methodName><params>...</params></methodCall>`
std::string xmlrpc_request(std::string_view method, const std::vector<Value>& params);

// Appends `<value>...</value>` for v. Strings are written untyped, ints as <int> when they
// fit 32 bits and <i8> otherwise, doubles with 17 significant digits.
void xmlrpc_append_value(std::string* out, const Value& v);

// Appends text with &, <, >, " escaped; control bytes below 0x20 other than tab, LF
// and CR are dropped (XML 1.0 cannot carry them; xapi drops them too).
void xmlrpc_append_escaped(std::string* out, std::string_view text);

}  // namespace xr::xapi

// What a scoped token may do (issue 17, controls): read only, some pools, some collections,
// some actions. A scope only narrows what the token's user may do; an unscoped token (no
// scope) is its user. Stored as JSON text in the token's row. Plain data, any thread.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xr::auth {

struct TokenScope {
  bool read_only = false;                // GET and HEAD only
  std::vector<std::string> pools;        // pool uuids; empty: every pool
  std::vector<std::string> collections;  // "vms", "hosts", ...; empty: every collection
  // "start" (that action of any collection) or "vms/start"; empty: every action and change.
  // When given, the only changes allowed are these actions.
  std::vector<std::string> actions;

  bool allows_pool(std::string_view pool_id) const;
  bool allows_collection(std::string_view collection) const;
  bool allows_action(std::string_view collection, std::string_view action) const;
  // True when everything `inner` allows is allowed here (a token made with a scoped token
  // may only narrow it).
  bool covers(const TokenScope& inner) const;
};

// {"readOnly":false,"pools":[...],"collections":[...],"actions":[...]} (empty lists omitted).
std::string scope_to_json(const TokenScope& scope);
// XO-style body member `scope`: {readOnly|read_only?, pools?, collections?, actions?}. Unknown
// keys, empty lists and malformed names are kInvalidArgument naming the key: a typo must
// never silently widen a token.
Result<TokenScope> scope_from_json(const rapidjson::Value& value);
// The stored text (scope_to_json's); kInternal when it does not parse.
Result<TokenScope> scope_from_text(std::string_view text);
// A comma-separated CLI list ("a,b"); empty items refused.
Result<std::vector<std::string>> split_scope_list(std::string_view text, std::string_view key);

}  // namespace xr::auth

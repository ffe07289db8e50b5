// XO's action parameter schemas (reference §e.1): {"<name>": {"type", "optional"?, "default"?,
// "enum"?, "minimum"?, "maximum"?, "minLength"?, "properties"?, "items"?, "description"?}}.
// Properties are required unless optional; extra properties are refused; strings must not be
// empty unless minLength says otherwise; defaults are filled in. Any thread.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "base/status.h"

namespace xr::app::actions {

// Checks `body` (an object, or null for no body) against `schema` (XO's params text; "" =
// no parameters) and writes the normalised parameters to `*out`: names as the schema spells
// them (a camelCase or snake_case spelling of a name is accepted), defaults filled in.
// Every problem is reported at once, as XO's 422 field map naming "body.<param>"; nothing
// is written to *out on error.
Status validate_params(std::string_view schema, const rapidjson::Value& body, rapidjson::Document* out);

// The params schema as a JSON Schema object (type object, properties, required,
// additionalProperties false): for the OpenAPI document.
std::string json_schema_of(std::string_view schema);

// "nameLabel" -> "name_label" and back.
std::string snake_of(std::string_view name);
std::string camel_of(std::string_view name);

}  // namespace xr::app::actions

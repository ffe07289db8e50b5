#!/usr/bin/python3
"""Infers the JSON schema of each XO object type from what our model emits, and keeps two
examples of each: the input of the OpenAPI document's object schemas
(fcgi-app/openapi/xo_objects.json).

Usage: gen_xo_objects.py OBJECTS.json OUT.json
OBJECTS.json is xo_map_dump's output ({"<collection>": [objects...]}) for the simulator's
pool; tests/conformance/gen_xo_objects.sh runs the whole chain. The schema says what the
sample shows: a property is required when every object has it; nested objects whose keys
are data (ids, paths, free maps) become maps (additionalProperties)."""
import json
import re
import sys

SCHEMAS = {
    "pools": "XoPool", "hosts": "XoHost", "vms": "XoVm", "vm-templates": "XoVmTemplate",
    "vm-snapshots": "XoVmSnapshot", "vm-controllers": "XoVmController", "vdis": "XoVdi",
    "vdi-snapshots": "XoVdiSnapshot", "srs": "XoSr", "networks": "XoNetwork", "pifs": "XoPif",
    "vifs": "XoVif", "vbds": "XoVbd", "pbds": "XoPbd", "messages": "XoMessage",
    "alarms": "XoAlarm", "sms": "XoSm", "pcis": "XoPci", "pgpus": "XoPgpu",
}
# Objects whose keys are data whatever they look like.
MAP_FIELDS = {"other", "other_config", "xenStoreData", "current_operations", "blockedOperations",
              "bios_strings", "addresses", "device_config", "sm_config", "capabilities",
              "features", "configuration", "platform", "otherConfig", "license_params",
              "cpus", "chipset_info", "os_version", "PV_drivers_version", "managementAgentDetected",
              "allowed_operations", "status", "properties", "restrictions", "logging",
              "hvmBootParams", "license_server"}
ID_LIKE = re.compile(r"^(OpaqueRef:|[0-9a-f]{8}-[0-9a-f]{4}-|[0-9])|[/:.\s]")


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def infer(values, name=None, top=False):
    """A schema that every value of `values` satisfies."""
    types = sorted({json_type(v) for v in values})
    if "integer" in types and "number" in types:
        types.remove("integer")
    schema = {}
    if name == "type" and types == ["string"] and len(set(values)) == 1:
        return {"const": values[0]}
    schema["type"] = types[0] if len(types) == 1 else types
    if not types:
        return {}
    objects = [v for v in values if isinstance(v, dict)]
    arrays = [v for v in values if isinstance(v, list)]
    if objects:
        keys = set()
        for o in objects:
            keys.update(o)
        is_map = not top and (name in MAP_FIELDS or any(ID_LIKE.search(k) for k in keys))
        if is_map:
            inner = [x for o in objects for x in o.values()]
            schema["additionalProperties"] = infer(inner) if inner else {}
        else:
            schema["properties"] = {k: infer([o[k] for o in objects if k in o], k)
                                    for k in sorted(keys)}
            required = sorted(k for k in keys if all(k in o for o in objects))
            if required:
                schema["required"] = required
    if arrays:
        items = [x for a in arrays for x in a]
        schema["items"] = infer(items) if items else ({"type": "string"} if name == "tags" else {})
    return schema


def pick_examples(coll, objs):
    """Two stable, telling examples: prefer running/attached objects with a name."""
    def score(o):
        return (o.get("power_state") != "Running", not o.get("name_label"),
                o.get("name_label") or "", o.get("id") or "")
    return sorted(objs, key=score)[:2]


def main():
    objects = json.load(open(sys.argv[1]))
    out = {}
    for coll, name in sorted(SCHEMAS.items(), key=lambda kv: kv[1]):
        objs = objects.get(coll, [])
        if not objs:  # the sample has none: the members every XO object has
            out[name] = {"collection": coll, "examples": [], "schema": {
                "type": "object", "required": ["id", "type", "uuid"],
                "properties": {"id": {"type": "string"}, "type": {"type": "string"},
                               "uuid": {"type": "string"}, "$pool": {"type": "string"},
                               "$poolId": {"type": "string"}},
                "description": "XO's object of /rest/v0/%s (none in the simulator's pool: "
                               "members every object has)" % coll}}
            continue
        schema = infer(objs, top=True)
        schema["description"] = "XO's %s object as xapi-rest serves it in /rest/v0/%s" % (
            objs[0].get("type", name), coll)
        out[name] = {"collection": coll, "schema": schema, "examples": pick_examples(coll, objs)}
    with open(sys.argv[2], "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

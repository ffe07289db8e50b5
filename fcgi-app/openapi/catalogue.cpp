#include "openapi/catalogue.h"

#include <array>
#include <deque>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "actions/action.h"
#include "actions/params.h"
#include "routes/route_table.h"

namespace xr::app::openapi {
namespace {

// An example body for an action: its required parameters with a value of their type (the
// first enum value, the minimum, a uuid for ids); "{}" when every parameter is optional.
std::string action_body_example(std::string_view params) {
  rapidjson::Document schema;
  if (params.empty() || schema.Parse(params.data(), params.size()).HasParseError() || !schema.IsObject()) {
    return "{}";
  }
  rapidjson::Document ex(rapidjson::kObjectType);
  auto& a = ex.GetAllocator();
  for (auto& m : schema.GetObject()) {
    const rapidjson::Value& spec = m.value;
    if (!spec.IsObject() || (spec.HasMember("optional") && spec["optional"].IsBool() && spec["optional"].GetBool())) {
      continue;
    }
    const std::string type = spec.HasMember("type") && spec["type"].IsString() ? spec["type"].GetString() : "";
    rapidjson::Value v;
    if (spec.HasMember("enum") && spec["enum"].IsArray() && !spec["enum"].Empty()) {
      v.CopyFrom(spec["enum"][0], a);
    } else if (type == "integer" || type == "number") {
      v.SetInt64(spec.HasMember("minimum") && spec["minimum"].IsInt64() ? spec["minimum"].GetInt64() : 0);
    } else if (type == "boolean") {
      v.SetBool(false);
    } else if (type == "array") {
      v.SetArray();
    } else if (type == "object") {
      v.SetObject();
    } else {
      v.SetString("770aa52a-fd42-8faf-f167-8c5c4a237cac", a);
    }
    ex.AddMember(rapidjson::Value(m.name, a), v, a);
  }
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  ex.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

// clang-format off
constexpr std::array kQueryParams = {
    QueryParam{"fields", R"({"type":"string"})", R"("name_label,power_state,uuid")",
               "comma-separated properties to return (dotted paths allowed, `*` for all); without "
               "it a list is the objects' URLs"},
    QueryParam{"filter", R"({"type":"string"})", R"("power_state:Running")",
               "XO's filter language (complex-matcher): `name_label:/^prod/ power_state:Running`"},
    QueryParam{"limit", R"({"type":"number"})", "42",
               "at most this many results (negative or fractional: all)"},
    QueryParam{"ndjson", R"({"type":"boolean"})", "",
               "answer newline-delimited JSON, one object per line (the bare `?ndjson` works too)"},
    QueryParam{"granularity", R"({"enum":["seconds","minutes","hours","days"]})", R"("seconds")",
               "the RRD step: 5 s, 1 min, 1 h or 1 day"},
    QueryParam{"markdown", R"({"type":"boolean"})", "",
               "answer XO's markdown table (text/markdown): columns are the fields"},
    QueryParam{"sync", R"({"type":"boolean"})", "",
               "wait for the action: `sync=true` answers as current XO (204, or 201 {id} for a new "
               "object), the bare `?sync` as the seed (200 with the result JSON-encoded)"},
    QueryParam{"wait", R"({"type":"string"})", R"("result")",
               "`result` or `true`: answer once the task is finished; any other value (or bare): "
               "at its next change"},
    QueryParam{"compress", R"({"enum":["zstd","gzip","true","false"]})", R"("zstd")",
               "compress the XVA: zstd, gzip (also `true`); `false` or absent: none"},
    QueryParam{"preferNbd", R"({"type":"boolean"})", "",
               "read the disk through XAPI's NBD server when the VDI's host offers one (bare `?preferNbd` works)"},
    QueryParam{"nbdConcurrency", R"({"type":"integer","minimum":1,"maximum":16})", "4",
               "NBD connections read in parallel (default 1)"},
    QueryParam{"sr", R"({"type":"string"})", R"("c787b75c-3e0d-70fa-d0c3-cbfd382d7e33")",
               "uuid of the SR to import into (default: the pool's default SR)"},
    QueryParam{"raw", R"({"type":"boolean"})", "",
               "the body is a raw disk image, not a VHD (bare `?raw`: the answer is the new uuid as text)"},
    QueryParam{"name_label", R"({"type":"string"})", R"("imported disk")", "name of the new VDI"},
    QueryParam{"name_description", R"({"type":"string"})", "", "description of the new VDI"},
    QueryParam{"upload", R"({"type":"string"})", R"("3f2a9c0e5b7d41e6a8c2f0b9d4e6a1c3")",
               "id of a complete resumable upload (POST /uploads) to import instead of a body; it is consumed"},
};

constexpr std::string_view kError = R"({"type":"object","required":["error"],"properties":{
  "error":{"type":"string","description":"what was wrong"},
  "data":{"type":"object","description":"details: the object or parameter at fault; a XAPI error's code and params"}}})";

constexpr std::array kFixedSchemas = {
    NamedSchema{"Error", kError, R"({"error":"no such VM 0ab3a6f2-1c2f-4bd6-9c59-3a1f1b1c2d3e","data":{"id":"0ab3a6f2-1c2f-4bd6-9c59-3a1f1b1c2d3e","type":"VM"}})"},
    NamedSchema{"PingResponse",
                R"({"type":"object","required":["result","timestamp"],"properties":{"result":{"const":"pong"},"timestamp":{"type":"integer","description":"milliseconds since the epoch"}}})",
                R"({"result":"pong","timestamp":1760955186850})"},
    NamedSchema{"XoUser",
                R"({"type":"object","required":["id","name","email","permission","groups","preferences"],"properties":{
  "id":{"type":"string"},"name":{"type":"string"},"email":{"type":"string"},
  "permission":{"enum":["admin","none"]},"groups":{"type":"array","items":{"type":"string"}},
  "preferences":{"type":"object"},"pw_hash":{"const":"***obfuscated***"}}})",
                R"({"id":"b0d6e4a2-5a2c-4e1d-9f0e-2f1c7d2b9a11","name":"admin","email":"admin","permission":"admin","groups":[],"preferences":{},"pw_hash":"***obfuscated***"})"},
    NamedSchema{"XoAuthenticationToken",
                R"({"type":"object","required":["id","user_id","created_at","expiration"],"properties":{
  "id":{"type":"string","description":"public id (16 characters); the secret itself right after creation"},
  "user_id":{"type":"string"},"created_at":{"type":"integer"},"expiration":{"type":"integer"},
  "description":{"type":"string"},
  "client":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}},
  "last_uses":{"type":"object","additionalProperties":{"type":"object","properties":{"timestamp":{"type":"integer"}}}}}})",
                R"({"id":"Hk3v9Qd2LmX0aB7c","user_id":"b0d6e4a2-5a2c-4e1d-9f0e-2f1c7d2b9a11","created_at":1764960000000,"expiration":1767552000000,"description":"ci"})"},
    NamedSchema{"CreateTokenBody",
                R"({"type":"object","properties":{
  "description":{"type":"string"},
  "client":{"type":"object","required":["id"],"description":"a client's token replaces its previous one","properties":{"id":{"type":"string"}}},
  "expiresIn":{"description":"validity, 1 minute to 183 days: a duration as XO's parser reads it (\"30d\", \"12h\", \"1 hour\", \"2 days\") or milliseconds","oneOf":[{"type":"string"},{"type":"number"}]}}})",
                R"({"description":"ci","expiresIn":"1 hour","client":{"id":"my-script"}})"},
    NamedSchema{"CreatedToken",
                R"({"type":"object","required":["token"],"properties":{"token":{"$ref":"#/components/schemas/XoAuthenticationToken"}}})",
                R"({"token":{"id":"q0k4c1Yx0b2Wf9m3N5r7t8u6v4w2x0y1z3A5B7C9D1E","user_id":"b0d6e4a2-5a2c-4e1d-9f0e-2f1c7d2b9a11","created_at":1764960000000,"expiration":1767552000000,"description":"ci"}})"},
    NamedSchema{"XoServer",
                R"({"type":"object","required":["id","label","host","username","allowUnauthorized","enabled","readOnly","status"],"properties":{
  "id":{"type":"string","description":"the [[pool]] name of the configuration"},"label":{"type":"string"},
  "host":{"type":"string"},"username":{"type":"string"},"allowUnauthorized":{"type":"boolean"},
  "enabled":{"type":"boolean"},"readOnly":{"type":"boolean"},
  "status":{"enum":["connected","connecting","disconnected"]},"error":{"type":"string"},
  "poolId":{"type":"string"},"lastSync":{"type":"integer"}}})",
                R"({"id":"prod","label":"prod","host":"https://xcp-master.example.org","username":"root","allowUnauthorized":false,"enabled":true,"readOnly":false,"status":"connected","poolId":"3d8c1f0e-6b3a-4f7e-8a2d-5c9b1e0f7a42","lastSync":1764960000000})"},
    NamedSchema{"Dashboard",
                R"({"type":"object","required":["nPools","nHosts","poolsStatus","vmsStatus"],"properties":{
  "nPools":{"type":"integer"},"nHosts":{"type":"integer"},
  "poolsStatus":{"type":"object","properties":{"connected":{"type":"integer"},"unreachable":{"type":"integer"},"unknown":{"type":"integer"},"disconnected":{"type":"integer"},"total":{"type":"integer"}}},
  "vmsStatus":{"type":"object","properties":{"running":{"type":"integer"},"halted":{"type":"integer"},"suspended":{"type":"integer"},"paused":{"type":"integer"},"unknown":{"type":"integer"},"total":{"type":"integer"}}}}})",
                R"({"nPools":1,"nHosts":3,"poolsStatus":{"connected":1,"unreachable":0,"unknown":0,"disconnected":0,"total":1},"vmsStatus":{"running":31,"halted":17,"suspended":1,"paused":1,"unknown":0,"total":50}})"},
    NamedSchema{"AddSubscriptionBody",
                R"({"type":"object","required":["collection"],"additionalProperties":false,"properties":{
  "collection":{"type":"string","description":"an XO type name: VM, VM-template, VM-snapshot, VM-controller, host, pool, SR, VDI, VDI-snapshot, VDI-unmanaged, network, PIF, VIF, VBD, PBD, SM, PCI, PGPU, vgpu, vgpuType, gpuGroup, VTPM, message, alarm, task"},
  "fields":{"description":"the fields of each frame's object; all when absent","anyOf":[{"type":"array","items":{"type":"string"}},{"type":"string","enum":["*"]}]}}})",
                R"({"collection":"VM","fields":["id","name_label","power_state"]})"},
    NamedSchema{"SseSubscription",
                R"({"type":"object","required":["id"],"properties":{"id":{"type":"string","description":"the subscription's id: its XO type name"}}})",
                R"({"id":"VM"})"},
    NamedSchema{"McpStatus",
                R"({"type":"object","required":["enabled"],"properties":{"enabled":{"type":"boolean"}}})",
                R"({"enabled":true})"},
    NamedSchema{"XoGuiRoutes",
                R"({"type":"object","properties":{"xo5":{"type":"string"},"xo6":{"type":"string","description":"where XO 6's web UI is served: the root of the nginx site with its optional UI block"}}})",
                R"({"xo6":"/"})"},
    NamedSchema{"XoNotConfigured",
                R"({"type":"object","description":"an XO object of a kind this gateway has none of (backup jobs, backup repositories, backup and restore logs, schedules, proxies): lists are always empty"})",
                R"({})"},
    NamedSchema{"XoTask",
                R"({"type":"object","required":["id","properties","start","status","updatedAt"],"properties":{
  "id":{"type":"string","description":"XO's form: creation ms in base 36 (9 characters), '-', a random suffix"},
  "properties":{"type":"object","additionalProperties":{},"properties":{"name":{"type":"string"},"type":{"type":"string"},
    "objectType":{"type":"string"},"objectId":{"type":"string"},"userId":{"type":"string"},"params":{"type":"object"}}},
  "start":{"type":"number"},"end":{"type":"number"},"updatedAt":{"type":"number"},
  "status":{"enum":["failure","interrupted","pending","success"]},
  "progress":{"type":"number"},"abortionRequestedAt":{"type":"number"},
  "result":{"description":"the action's result, or a serialized error {message, name, code?, params?}"},
  "infos":{"type":"array","items":{"type":"object","required":["message","data"],"properties":{"message":{"type":"string"},"data":{}}}},
  "warnings":{"type":"array","items":{"type":"object","required":["message","data"],"properties":{"message":{"type":"string"},"data":{}}}},
  "tasks":{"type":"array","items":{"$ref":"#/components/schemas/XoTask"}}}})",
                R"({"id":"0mdd1basu-k3j9x0q2mz","properties":{"name":"REST API: start VM","type":"xo:rest-api:action","objectType":"VM","objectId":"770aa52a-fd42-8faf-f167-8c5c4a237cac","userId":"b0d6e4a2-5a2c-4e1d-9f0e-2f1c7d2b9a11","params":{}},"start":1753098047598,"status":"success","updatedAt":1753098049210,"end":1753098049210,"progress":100})"},
    NamedSchema{"ActionTask",
                R"({"type":"object","required":["taskId"],"properties":{"taskId":{"type":"string","description":"the XO task running the action: /rest/v0/tasks/{taskId}"}}})",
                R"({"taskId":"0mdd1basu-k3j9x0q2mz"})"},
    NamedSchema{"CreatedId",
                R"({"type":"object","required":["id"],"properties":{"id":{"type":"string","description":"the new object's id"}}})",
                R"({"id":"2b0266aa-c753-6fbc-e4dd-c79be7782052"})"},
    NamedSchema{"ActionDescription",
                R"({"type":"object","properties":{"params":{"type":"object","description":"XO's schema of the parameters: name -> {type, optional?, ...}"}}})",
                R"({"params":{"name_label":{"type":"string","optional":true}}})"},
    NamedSchema{"CreateUserBody",
                R"j({"type":"object","additionalProperties":false,"required":["name","password"],"properties":{
  "name":{"type":"string","minLength":1},"password":{"type":"string","minLength":1},
  "permission":{"enum":["none","admin"],"default":"none"}}})j",
                R"j({"name":"ops","password":"s3cret-Passw0rd","permission":"none"})j"},
    NamedSchema{"UpdateUserBody",
                R"j({"type":"object","additionalProperties":false,"properties":{
  "name":{"type":"string","minLength":1},"password":{"type":"string","minLength":1},
  "permission":{"enum":["none","admin"]}}})j",
                R"j({"password":"n3w-Passw0rd"})j"},
    NamedSchema{"CreateSrBody",
                R"j({"type":"object","additionalProperties":false,"required":["hostId","SR_type","name_label","device_config"],"properties":{
  "hostId":{"type":"string"},"SR_type":{"enum":["cephfs","dummy","ext","file","glusterfs","hba","iso","largeblock","linstor","lvm",
  "lvmofcoe","lvmohba","lvmoiscsi","moosefs","nfs","shm","smb","udev","xfs","zfs"]},"name_label":{"type":"string"},
  "name_description":{"type":"string"},"content_type":{"enum":["user","iso","disk"]},"size":{"type":"number","minimum":0},
  "device_config":{"type":"object","additionalProperties":{"type":"string"}},
  "sm_config":{"type":"object","additionalProperties":{"type":"string"}}}})j",
                R"j({"hostId":"f8b8d2a5-7d40-a104-efc6-fb797b58f258","SR_type":"nfs","name_label":"NFS store","device_config":{"server":"10.0.0.1","serverpath":"/data"}})j"},
    NamedSchema{"AddServerBody",
                R"j({"type":"object","additionalProperties":false,"required":["host","username","password"],"properties":{
  "host":{"type":"string","minLength":1},"username":{"type":"string","minLength":1},"password":{"type":"string","minLength":1},
  "label":{"type":"string","minLength":1},"allowUnauthorized":{"type":"boolean","default":false},
  "readOnly":{"type":"boolean","default":false}}})j",
                R"j({"host":"192.168.1.10","username":"root","password":"awes0meP4ssword","label":"Example server","allowUnauthorized":true})j"},
    NamedSchema{"UpdateServerBody",
                R"j({"type":"object","additionalProperties":false,"properties":{
  "host":{"type":"string","minLength":1},"username":{"type":"string","minLength":1},"password":{"type":"string","minLength":1},
  "label":{"type":"string","minLength":1},"allowUnauthorized":{"type":"boolean"},"readOnly":{"type":"boolean"}}})j",
                R"j({"readOnly":true})j"},
    NamedSchema{"CreateVdiBody",
                R"j({"type":"object","additionalProperties":false,"required":["srId","virtual_size"],"properties":{
  "srId":{"type":"string"},"virtual_size":{"type":"integer","minimum":0},"name_label":{"type":"string"},
  "name_description":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"type":{"type":"string"},
  "read_only":{"type":"boolean"},"sharable":{"type":"boolean"},
  "xenstore_data":{"type":"object","additionalProperties":{"type":"string"}},
  "other_config":{"type":"object","additionalProperties":{"type":"string"}},
  "sm_config":{"type":"object","additionalProperties":{"type":"string"}}}})j",
                R"j({"srId":"c4284e12-37c9-7967-b9e8-83ef229c3e03","virtual_size":10737418240,"name_label":"data"})j"},
    NamedSchema{"CreateVbdBody",
                R"j({"type":"object","additionalProperties":false,"required":["VM","VDI"],"properties":{
  "VM":{"type":"string"},"VDI":{"type":"string"},"type":{"enum":["CD","Disk","Floppy"]},"mode":{"enum":["RO","RW"]},
  "bootable":{"type":"boolean"},"empty":{"type":"boolean"},"unpluggable":{"type":"boolean"},"userdevice":{"type":"string"},
  "other_config":{"type":"object","additionalProperties":{"type":"string"}},"qos_algorithm_type":{"type":"string"},
  "qos_algorithm_params":{"type":"object","additionalProperties":{"type":"string"}}}})j",
                R"j({"VM":"770aa52a-fd42-8faf-f167-8c5c4a237cac","VDI":"1a269782-ea93-4c4c-897a-475365f7b674"})j"},
    NamedSchema{"CreateVifBody",
                R"j({"type":"object","additionalProperties":false,"required":["vmId","networkId"],"properties":{
  "vmId":{"type":"string"},"networkId":{"type":"string"},"MAC":{"type":"string"},"device":{"type":"string"},
  "MTU":{"type":"integer"},"currently_attached":{"type":"boolean"},
  "ipv4_allowed":{"type":"array","items":{"type":"string"}},"ipv6_allowed":{"type":"array","items":{"type":"string"}},
  "locking_mode":{"enum":["network_default","locked","unlocked","disabled"]},"qos_algorithm_type":{"type":"string"},
  "qos_algorithm_params":{"type":"object","additionalProperties":{"type":"string"}},
  "other_config":{"type":"object","additionalProperties":{"type":"string"}}}})j",
                R"j({"vmId":"770aa52a-fd42-8faf-f167-8c5c4a237cac","networkId":"6b2a5f7e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"})j"},
    NamedSchema{"UpdateVmBody",
                R"j({"type":"object","additionalProperties":false,"description":"current XO's camelCase keys (applied in this order) and the seed's snake_case ones","properties":{
  "nameLabel":{"type":"string"},"nameDescription":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},
  "affinityHost":{"type":["string","null"],"description":"a host id, or null for none"},"autoPoweron":{"type":"boolean"},
  "blockedOperations":{"type":"object","additionalProperties":{"type":["boolean","string","null"]},"description":"operation: true or a reason blocks it, false or null unblocks it"},
  "cpus":{"type":"integer","minimum":0},"highAvailability":{"enum":["best-effort","restart",""]},
  "memory":{"type":"integer","minimum":0,"description":"bytes: on a VM without dynamic memory (dynamic min = dynamic max = static max) the four limits pinned at it (halted VMs only), else as memoryMax"},"memoryMax":{"type":"integer","minimum":0,"description":"bytes: the dynamic maximum (a halted VM's static range widened to hold it)"},
  "notes":{"type":["string","null"]},"PV_args":{"type":"string"},"startDelay":{"type":"integer","minimum":0},
  "cpuCap":{"type":["integer","null"],"minimum":0},"cpuMask":{"type":["array","null"],"items":{"type":"integer","minimum":0}},
  "cpuWeight":{"type":["integer","null"],"minimum":0},"coresPerSocket":{"type":["integer","null"],"minimum":0},
  "expNestedHvm":{"type":"boolean"},"viridian":{"type":"boolean"},"vga":{"enum":["std","cirrus"]},
  "videoram":{"enum":[1,2,4,8,16],"description":"MiB"},"suspendSr":{"type":["string","null"],"description":"an SR id, or null for none"},
  "cpusStaticMax":{"type":"integer","minimum":1,"description":"VCPUs_max (halted VMs); the start-up count is lowered first when above it"},
  "memoryMin":{"type":"integer","minimum":0,"description":"bytes (the dynamic minimum); the dynamic maximum is raised first when below it"},
  "memoryStaticMax":{"type":"integer","minimum":0,"description":"bytes (halted VMs); the dynamic maximum is lowered first when above it"},
  "hasVendorDevice":{"type":"boolean","description":"halted VMs"},"virtualizationMode":{"enum":["pv","hvm"]},
  "hvmBootFirmware":{"enum":["bios","uefi",null],"description":"HVM_boot_params firmware and the device model that goes with it"},
  "nestedVirt":{"type":"boolean"},"nicType":{"type":["string","null"]},"secureBoot":{"type":"boolean"},
  "uefiMode":{"enum":["setup","user"],"description":"VM.set_uefi_mode (a UEFI VM)"},
  "xenStoreData":{"type":"object","additionalProperties":{"type":["string","null"]},"description":"keys under vm-data/; null removes one"},
  "creation":{"type":"object","additionalProperties":false,"properties":{"user":{"type":"string"}}},
  "resourceSet":{"type":["string","null"],"description":"XO's resource sets: none here, 501 unless it changes nothing (null on a VM in no set)"},
  "share":{"type":"boolean","description":"XO's resource sets: none here, 501 for true"},
  "name_label":{"type":"string"},"name_description":{"type":"string"}}})j",
                R"j({"nameLabel":"web-prod-01","autoPoweron":true,"highAvailability":"restart"})j"},
    NamedSchema{"UpdateVdiBody",
                R"j({"type":"object","additionalProperties":false,"properties":{
  "name_label":{"type":"string"},"name_description":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},
  "size":{"type":"integer","minimum":0,"description":"new virtual size in bytes (VDI.resize: never smaller)"}}})j",
                R"j({"name_label":"my disk","size":10737418240})j"},
    NamedSchema{"UpdateVifBody",
                R"j({"type":"object","additionalProperties":false,"properties":{
  "lockingMode":{"enum":["network_default","locked","unlocked","disabled"]},
  "allowedIpv4Addresses":{"type":"array","items":{"type":"string"},"description":"IPv4 addresses or CIDRs; a non-empty list also locks a VIF not yet locked, unless lockingMode is given"},
  "allowedIpv6Addresses":{"type":"array","items":{"type":"string"},"description":"IPv6 addresses or CIDRs; as allowedIpv4Addresses"},
  "rateLimit":{"type":["integer","null"],"minimum":0,"description":"kB/s; null removes the limit"},"txChecksumming":{"type":"boolean"}}})j",
                R"j({"lockingMode":"locked","allowedIpv4Addresses":["192.168.0.42"],"rateLimit":1000})j"},
    NamedSchema{"PatchObjectBody",
                R"({"type":"object","additionalProperties":false,"properties":{
  "name_label":{"type":"string"},"name_description":{"type":"string"},
  "tags":{"type":"array","items":{"type":"string"},"description":"the whole new set of tags"}}})",
                R"({"name_label":"The new name","name_description":"The new description"})"},
    NamedSchema{"OpenApiDocument", R"({"type":"object","description":"this document"})", ""},
    NamedSchema{"XapiStats", R"({"type":"object","description":"XO's statistics of an RRD: endTimestamp, interval and stats series"})", ""},
    NamedSchema{"MissingPatches", R"({"description":"the patches a host (or each host of a pool) lacks, as XO lists them"})", ""},
    NamedSchema{"HostSmt", R"({"type":"object","properties":{"enabled":{"type":"boolean"}}})", R"({"enabled":true})"},
    NamedSchema{"PoolDashboard", R"({"type":"object","description":"XO's pool dashboard"})", ""},
    NamedSchema{"VmDashboard", R"({"type":"object","description":"XO's VM dashboard"})", ""},
};
// clang-format on

}  // namespace

std::span<const QueryParam> query_params() { return kQueryParams; }

const QueryParam* find_query_param(std::string_view name) {
  for (const QueryParam& p : kQueryParams) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::span<const NamedSchema> fixed_schemas() {
  // The hand-described schemas, then each action's body (from its XO params schema).
  static std::deque<std::string> text;
  static const std::vector<NamedSchema> all = [] {
    std::vector<NamedSchema> out(kFixedSchemas.begin(), kFixedSchemas.end());
    for (const actions::ActionSpec& a : actions::catalogue()) {
      if (a.params.empty() || a.hidden) continue;
      const std::string& name = text.emplace_back(action_body_schema(a));
      const std::string& schema = text.emplace_back(actions::json_schema_of(a.params));
      const std::string& example = text.emplace_back(action_body_example(a.params));
      out.push_back(NamedSchema{name, schema, example});
    }
    return out;
  }();
  return all;
}

}  // namespace xr::app::openapi

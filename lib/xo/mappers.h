// The per-class XAPI → XO mappers used by PoolModel: `index_*` extract the compact inputs
// a class contributes to derived fields, `map_*` write an XO object's record-only fields
// (the "base"), `add_*_derived` the fields computed from related objects. Pool thread.
#pragma once

#include <span>
#include <string_view>

#include "xo/collections.h"
#include "xo/json_out.h"
#include "xo/model_state.h"
#include "xo/record.h"

namespace xr::xo {

struct MapCtx {
  const ModelState& st;
  std::string_view ref;  // the object's OpaqueRef
  const Obj& self;
};

// Compact inputs of a record (std::monostate for classes that contribute none).
// References are resolved to handles of objects already created in `st`.
ObjData index_record(Cls cls, const Rec& r, const ModelState& st);
// Whether index_record reads records of `cls` (false: always std::monostate, so a record
// need not even be decoded for it). Kept beside index_record's switch.
bool has_index(Cls cls);
// The record fields index_record reads for `cls` (a spooled record is decoded with only
// these). Kept beside index_record's switch too: a field read there and missing here reads
// as absent from a spool (conformance.xo_schemas compares spooled with decoded).
std::span<const std::string_view> index_fields(Cls cls);
std::unique_ptr<VmData> index_vm(const Rec& r, const ModelState& st);  // map_vm.cpp
std::vector<Handle> handles(const Rec& r, std::string_view field, const ModelState& st);

// Array of the uuids of the objects a ref-set field points to (unknown refs skipped).
rapidjson::Value links(const Rec& r, std::string_view field, const MapCtx& c, JsonOut& o);
// `key`: uuid of the object a ref field points to; absent when null or unknown.
void link_if(JsonOut& o, const char* key, const Rec& r, std::string_view field, const MapCtx& c);

// Appends id, type, uuid, $pool, $poolId, _xapiRef like XO's generic tail.
void add_generic(JsonOut& o, const MapCtx& c, std::string_view id, std::string_view type);

// Base mappers: return the collection the object belongs to (kNone: not served); the VM
// mapper sets *pool_scoped for default templates. They append the generic tail themselves.
Coll map_vm_base(const Rec& r, const MapCtx& c, JsonOut& o, bool* pool_scoped);
Coll map_host_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_pool_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_sr_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vdi_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vbd(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_pbd(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vif(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_network_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_pif_base(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_message(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_sm(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_pci(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_pgpu(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vgpu(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vgpu_type(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_gpu_group(const Rec& r, const MapCtx& c, JsonOut& o);
Coll map_vtpm(const Rec& r, const MapCtx& c, JsonOut& o);

// Derived fields, from the compact state only (the record may be gone).
void add_vm_derived(const MapCtx& c, JsonOut& o);
void add_host_derived(const MapCtx& c, JsonOut& o);
void add_pool_derived(const MapCtx& c, JsonOut& o);
void add_sr_derived(const MapCtx& c, JsonOut& o);
void add_vdi_derived(const MapCtx& c, JsonOut& o);
void add_network_derived(const MapCtx& c, JsonOut& o);
void add_pif_derived(const MapCtx& c, JsonOut& o);

// Helpers shared by the VM mapper (map_vm_extras.cpp).
rapidjson::Value template_info(const Rec& r, JsonOut& o);
bool is_firmware_supported(std::string_view recommendations, std::string_view firmware);
rapidjson::Value vm_vulnerabilities(const VmData& vm, const GuestMetricsData* gm, JsonOut& o);
// A plain VM (not a template, snapshot or control domain)?
inline bool is_plain_vm(const VmData& vm) {
  return !vm.is_control && !vm.is_snapshot && !vm.is_template;
}
// other_config["xo:<uuid prefix>"] JSON's "creation" object as a string map; null if none.
rapidjson::Value vm_creation(const Rec& r, JsonOut& o);
// other_config["xscontainer-monitor"] → docker object; null if absent.
rapidjson::Value vm_docker(const Rec& r, JsonOut& o);

}  // namespace xr::xo

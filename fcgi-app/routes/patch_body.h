// PATCH bodies: the keys each collection accepts, their types, and the XAPI calls each maps
// to. plan_patch checks the whole body first (tsoa's messages, every bad key reported at
// once), then turns it into the XAPI calls to make, in XO's order; it may read (the VM's
// record, a host of the cache) but never changes anything. Worker request thread.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "routes/context.h"
#include "routes/http_errors.h"
#include "routes/mutation_target.h"

namespace xr::app {

// What a valid body asks for: the XAPI calls, in order; or, when it names something only XO
// has (a resource set), why it is not implemented (501, nothing called).
struct PatchPlan {
  std::vector<XapiOp> ops;
  std::string not_implemented;
};

// The plan for `body` on `target`, or kInvalidParameters with tsoa's field map
// ({"body.<key>": {"message", "value"}}) when any key is unknown or has a wrong type.
//   every collection with names: name_label, name_description, tags (the seed's snake_case)
//   vms: also current XO's camelCase keys (nameLabel, nameDescription, tags, autoPoweron,
//        highAvailability, affinityHost, blockedOperations, startDelay, notes, PV_args, cpus,
//        memory / memoryMax; cpuCap, cpuMask, cpuWeight, coresPerSocket, expNestedHvm, viridian,
//        vga, videoram, suspendSr; memoryMin, memoryStaticMax, cpusStaticMax (with the limits
//        they constrain, as XO), hasVendorDevice, virtualizationMode, hvmBootFirmware,
//        nestedVirt, nicType, secureBoot, uefiMode, xenStoreData, creation; resourceSet, share)
//   vdis, vdi-snapshots: size (VDI.resize)
//   vifs: lockingMode, allowedIpv4Addresses, allowedIpv6Addresses, rateLimit, txChecksumming
Result<PatchPlan> plan_patch(Context& ctx, const Target& target, const rapidjson::Value& body);

// The JSON text of a value (for the field map's "value").
std::string json_text(const rapidjson::Value& v);

}  // namespace xr::app

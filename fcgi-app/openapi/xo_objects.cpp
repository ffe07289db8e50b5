#include "openapi/xo_objects.h"

#include <array>

// xo_objects.json, compiled in by CMake (fcgi-app/CMakeLists.txt: xo_objects_json.cpp).
extern "C" const char xr_xo_objects_json[];
extern "C" const unsigned long xr_xo_objects_json_size;

namespace xr::app::openapi {
namespace {

// clang-format off
constexpr std::array kObjects = {
    XoObjectDoc{"XoPool", "pools", "name_label,name_description,master,HA_enabled"},
    XoObjectDoc{"XoHost", "hosts", "name_label,power_state,address,productBrand,version"},
    XoObjectDoc{"XoVm", "vms", "name_label,power_state,uuid,CPUs,memory,$container"},
    XoObjectDoc{"XoVmTemplate", "vm-templates", "name_label,name_description,uuid"},
    XoObjectDoc{"XoVmSnapshot", "vm-snapshots", "name_label,snapshot_time,$snapshot_of,uuid"},
    XoObjectDoc{"XoVmController", "vm-controllers", "name_label,power_state,$container,uuid"},
    XoObjectDoc{"XoVdi", "vdis", "name_label,size,usage,$SR,uuid"},
    XoObjectDoc{"XoVdiSnapshot", "vdi-snapshots", "name_label,size,snapshot_time,$snapshot_of,uuid"},
    XoObjectDoc{"XoSr", "srs", "name_label,SR_type,size,physical_usage,shared,uuid"},
    XoObjectDoc{"XoNetwork", "networks", "name_label,bridge,MTU,uuid"},
    XoObjectDoc{"XoPif", "pifs", "device,IP,MAC,attached,$host,uuid"},
    XoObjectDoc{"XoVif", "vifs", "device,MAC,attached,$VM,$network,uuid"},
    XoObjectDoc{"XoVbd", "vbds", "device,position,attached,is_cd_drive,VM,VDI,uuid"},
    XoObjectDoc{"XoPbd", "pbds", "attached,host,SR,uuid"},
    XoObjectDoc{"XoMessage", "messages", "name,body,time,$object,uuid"},
    XoObjectDoc{"XoAlarm", "alarms", "name,body,time,$object,uuid"},
    XoObjectDoc{"XoSm", "sms", "name_label,SM_type,vendor,uuid"},
    XoObjectDoc{"XoPci", "pcis", "class_name,device_name,pci_id,$host,uuid"},
    XoObjectDoc{"XoPgpu", "pgpus", "gpuGroup,vgpus,$host,uuid"},
};
// clang-format on

}  // namespace

std::span<const XoObjectDoc> xo_object_docs() { return kObjects; }

std::string_view xo_objects_json() { return {xr_xo_objects_json, xr_xo_objects_json_size}; }

}  // namespace xr::app::openapi

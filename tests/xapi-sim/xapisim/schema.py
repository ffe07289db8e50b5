"""The simulated datamodel: classes, fields (type, writability) and relations.

Field types: s string, i int, f float, b bool, d datetime, e enum (string),
r:<Class> ref, R:<Class> ref set, S string set, m map, M:<Class> map keyed by refs.
A trailing "*" marks a RW field (has set_<field>; maps also add_to_/remove_from_).
Read-only data; any thread.
"""
from .wire import EPOCH

NULL = "OpaqueRef:NULL"

_CLASSES = {
    "pool": """uuid:s name_label:s* name_description:s* master:r:host default_SR:r:SR*
        suspend_image_SR:r:SR* crash_dump_SR:r:SR* other_config:m* ha_enabled:b
        ha_configuration:m ha_statefiles:S ha_host_failures_to_tolerate:i ha_plan_exists_for:i
        ha_allow_overcommit:b* ha_overcommitted:b blobs:m tags:S* gui_config:m*
        health_check_config:m* wlb_url:s wlb_username:s wlb_enabled:b* wlb_verify_cert:b*
        redo_log_enabled:b redo_log_vdi:r:VDI vswitch_controller:s restrictions:m
        metadata_VDIs:R:VDI ha_cluster_stack:s allowed_operations:S current_operations:m
        guest_agent_config:m cpu_info:m policy_no_vendor_device:b* live_patching_disabled:b*
        igmp_snooping_enabled:b uefi_certificates:s custom_uefi_certificates:s is_psr_pending:b*
        tls_verification_enabled:b repositories:R:Repository client_certificate_auth_enabled:b
        client_certificate_auth_name:s repository_proxy_url:s repository_proxy_username:s
        repository_proxy_password:r:secret migration_compression:b* coordinator_bias:b*
        telemetry_uuid:r:secret telemetry_frequency:e telemetry_next_collection:d
        last_update_sync:d update_sync_frequency:e update_sync_day:i update_sync_enabled:b
        local_auth_max_threads:i ext_auth_max_threads:i ha_reboot_vm_on_internal_shutdown:b""",
    "host": """uuid:s name_label:s* name_description:s* memory_overhead:i allowed_operations:S
        current_operations:m API_version_major:i API_version_minor:i API_version_vendor:s
        API_version_vendor_implementation:m enabled:b software_version:m other_config:m*
        capabilities:S cpu_configuration:m sched_policy:s supported_bootloaders:S
        resident_VMs:R:VM logging:m* PIFs:R:PIF suspend_image_sr:r:SR* crash_dump_sr:r:SR*
        crashdumps:R:host_crashdump patches:R:host_patch updates:R:pool_update PBDs:R:PBD
        host_CPUs:R:host_cpu cpu_info:m hostname:s* address:s* metrics:r:host_metrics
        license_params:m ha_statefiles:S ha_network_peers:S blobs:m tags:S*
        external_auth_type:s external_auth_service_name:s external_auth_configuration:m
        edition:s license_server:m* bios_strings:m power_on_mode:s power_on_config:m
        local_cache_sr:r:SR chipset_info:m PCIs:R:PCI PGPUs:R:PGPU PUSBs:R:PUSB ssl_legacy:b
        guest_VCPUs_params:m* display:e* virtual_hardware_platform_versions:S
        control_domain:r:VM updates_requiring_reboot:R:pool_update features:R:Feature
        iscsi_iqn:s multipathing:b uefi_certificates:s certificates:R:Certificate editions:S
        pending_guidances:S tls_verification_enabled:b last_software_update:d https_only:b
        latest_synced_updates_applied:e numa_affinity_policy:e
        pending_guidances_recommended:S pending_guidances_full:S last_update_hash:s""",
    "host_metrics": """uuid:s memory_total:i memory_free:i live:b last_updated:d other_config:m*""",
    "host_cpu": """uuid:s host:r:host number:i vendor:s speed:i modelname:s family:i model:i
        stepping:s flags:s features:s utilisation:f other_config:m*""",
    "VM": """uuid:s allowed_operations:S current_operations:m name_label:s* name_description:s*
        power_state:e user_version:i* is_a_template:b* is_default_template:b suspend_VDI:r:VDI
        resident_on:r:host scheduled_to_be_resident_on:r:host affinity:r:host*
        memory_overhead:i memory_target:i memory_static_max:i memory_dynamic_max:i
        memory_dynamic_min:i memory_static_min:i VCPUs_params:m* VCPUs_max:i VCPUs_at_startup:i
        actions_after_softreboot:e* actions_after_shutdown:e* actions_after_reboot:e*
        actions_after_crash:e consoles:R:console VIFs:R:VIF VBDs:R:VBD VUSBs:R:VUSB
        crash_dumps:R:crashdump VTPMs:R:VTPM PV_bootloader:s* PV_kernel:s* PV_ramdisk:s*
        PV_args:s* PV_bootloader_args:s* PV_legacy_args:s* HVM_boot_policy:s*
        HVM_boot_params:m* HVM_shadow_multiplier:f platform:m* PCI_bus:s* other_config:m*
        domid:i domarch:s last_boot_CPU_flags:m is_control_domain:b metrics:r:VM_metrics
        guest_metrics:r:VM_guest_metrics last_booted_record:s recommendations:s*
        xenstore_data:m* ha_always_run:b ha_restart_priority:s is_a_snapshot:b
        snapshot_of:r:VM snapshots:R:VM snapshot_time:d transportable_snapshot_id:s blobs:m
        tags:S* blocked_operations:m* snapshot_info:m snapshot_metadata:s parent:r:VM
        children:R:VM bios_strings:m protection_policy:r:VMPP snapshot_schedule:r:VMSS
        is_vmss_snapshot:b appliance:r:VM_appliance start_delay:i shutdown_delay:i order:i
        VGPUs:R:VGPU attached_PCIs:R:PCI suspend_SR:r:SR* version:i generation_id:s
        hardware_platform_version:i* has_vendor_device:b requires_reboot:b
        reference_label:s domain_type:e NVRAM:m pending_guidances:S
        pending_guidances_recommended:S pending_guidances_full:S groups:R:VM_group""",
    "VM_metrics": """uuid:s memory_actual:i VCPUs_number:i VCPUs_utilisation:m VCPUs_CPU:m
        VCPUs_params:m VCPUs_flags:m state:S start_time:d install_time:d last_updated:d
        other_config:m* hvm:b nested_virt:b nomigrate:b current_domain_type:e""",
    "VM_guest_metrics": """uuid:s os_version:m netbios_name:m PV_drivers_version:m
        PV_drivers_up_to_date:b memory:m disks:m networks:m other:m last_updated:d
        other_config:m* live:b can_use_hotplug_vbd:e can_use_hotplug_vif:e
        PV_drivers_detected:b services:m""",
    "console": """uuid:s protocol:e location:s VM:r:VM other_config:m*""",
    "SR": """uuid:s name_label:s name_description:s allowed_operations:S current_operations:m
        VDIs:R:VDI PBDs:R:PBD virtual_allocation:i physical_utilisation:i physical_size:i
        type:s content_type:s shared:b other_config:m* tags:S* sm_config:m* blobs:m
        local_cache_enabled:b introduced_by:r:DR_task clustered:b is_tools_sr:b""",
    "PBD": """uuid:s host:r:host SR:r:SR device_config:m currently_attached:b other_config:m*""",
    "VDI": """uuid:s name_label:s name_description:s allowed_operations:S current_operations:m
        SR:r:SR VBDs:R:VBD crash_dumps:R:crashdump virtual_size:i physical_utilisation:i
        type:e sharable:b read_only:b other_config:m* storage_lock:b location:s managed:b
        missing:b parent:r:VDI xenstore_data:m* sm_config:m* is_a_snapshot:b
        snapshot_of:r:VDI snapshots:R:VDI snapshot_time:d tags:S* allow_caching:b
        on_boot:e metadata_of_pool:r:pool metadata_latest:b is_tools_iso:b cbt_enabled:b""",
    "VBD": """uuid:s allowed_operations:S current_operations:m VM:r:VM VDI:r:VDI device:s
        userdevice:s* bootable:b* mode:e* type:e* unpluggable:b* storage_lock:b empty:b
        other_config:m* currently_attached:b status_code:i status_detail:s
        runtime_properties:m qos_algorithm_type:s* qos_algorithm_params:m*
        qos_supported_algorithms:S metrics:r:VBD_metrics""",
    "VIF": """uuid:s allowed_operations:S current_operations:m device:s network:r:network
        VM:r:VM MAC:s MTU:i other_config:m* currently_attached:b status_code:i
        status_detail:s runtime_properties:m qos_algorithm_type:s* qos_algorithm_params:m*
        qos_supported_algorithms:S metrics:r:VIF_metrics MAC_autogenerated:b locking_mode:e*
        ipv4_allowed:S* ipv6_allowed:S* ipv4_configuration_mode:e ipv4_addresses:S
        ipv4_gateway:s ipv6_configuration_mode:e ipv6_addresses:S ipv6_gateway:s""",
    "network": """uuid:s name_label:s* name_description:s* allowed_operations:S
        current_operations:m VIFs:R:VIF PIFs:R:PIF MTU:i* other_config:m* bridge:s managed:b
        blobs:m tags:S* default_locking_mode:e assigned_ips:M:VIF purpose:S""",
    "PIF": """uuid:s device:s network:r:network host:r:host MAC:s MTU:i VLAN:i
        metrics:r:PIF_metrics physical:b currently_attached:b ip_configuration_mode:e IP:s
        netmask:s gateway:s DNS:s bond_slave_of:r:Bond bond_master_of:R:Bond
        VLAN_master_of:r:VLAN VLAN_slave_of:R:VLAN management:b other_config:m*
        disallow_unplug:b* tunnel_access_PIF_of:R:tunnel tunnel_transport_PIF_of:R:tunnel
        ipv6_configuration_mode:e IPv6:S ipv6_gateway:s primary_address_type:e managed:b
        properties:m capabilities:S igmp_snooping_status:e sriov_physical_PIF_of:R:network_sriov
        sriov_logical_PIF_of:R:network_sriov PCI:r:PCI""",
    "PIF_metrics": """uuid:s io_read_kbs:f io_write_kbs:f carrier:b vendor_id:s vendor_name:s
        device_id:s device_name:s speed:i duplex:b pci_bus_path:s last_updated:d
        other_config:m*""",
    "Bond": """uuid:s master:r:PIF slaves:R:PIF other_config:m* primary_slave:r:PIF mode:e
        properties:m links_up:i auto_update_mac:b""",
    "VLAN": """uuid:s tagged_PIF:r:PIF untagged_PIF:r:PIF tag:i other_config:m*""",
    "task": """uuid:s name_label:s name_description:s allowed_operations:S
        current_operations:m created:d finished:d status:e resident_on:r:host progress:f
        type:s result:s error_info:S other_config:m* subtask_of:r:task subtasks:R:task
        backtrace:s""",
    "message": """uuid:s name:s priority:i cls:e obj_uuid:s timestamp:d body:s""",
    "SM": """uuid:s name_label:s name_description:s type:s vendor:s copyright:s version:s
        required_api_version:s configuration:m capabilities:S features:M:x other_config:m*
        driver_filename:s required_cluster_stack:S supported_image_formats:S""",
    # Classes XO also reads; served (empty unless noted) so clients that list them work.
    "Certificate": """uuid:s name:s type:e host:r:host not_before:d not_after:d fingerprint:s
        fingerprint_sha256:s fingerprint_sha1:s""",
    "PCI": """uuid:s class_name:s vendor_name:s device_name:s pci_id:s host:r:host attached_VMs:R:VM
        dependencies:R:PCI other_config:m* subsystem_vendor_name:s subsystem_device_name:s
        driver_name:s""",
    "PGPU": """uuid:s PCI:r:PCI GPU_group:r:GPU_group host:r:host other_config:m*
        supported_VGPU_types:R:VGPU_type enabled_VGPU_types:R:VGPU_type resident_VGPUs:R:VGPU
        supported_VGPU_max_capacities:M:VGPU_type dom0_access:e is_system_display_device:b
        compatibility_metadata:m""",
    "VGPU": """uuid:s VM:r:VM GPU_group:r:GPU_group device:s currently_attached:b other_config:m*
        type:r:VGPU_type resident_on:r:PGPU scheduled_to_be_resident_on:r:PGPU
        compatibility_metadata:m extra_args:s PCI:r:PCI""",
    "GPU_group": """uuid:s name_label:s* name_description:s* PGPUs:R:PGPU VGPUs:R:VGPU GPU_types:S
        other_config:m* allocation_algorithm:e* supported_VGPU_types:R:VGPU_type
        enabled_VGPU_types:R:VGPU_type""",
    "VGPU_type": """uuid:s vendor_name:s model_name:s framebuffer_size:i max_heads:i
        max_resolution_x:i max_resolution_y:i supported_on_PGPUs:R:PGPU enabled_on_PGPUs:R:PGPU
        VGPUs:R:VGPU supported_on_GPU_groups:R:GPU_group enabled_on_GPU_groups:R:GPU_group
        implementation:e identifier:s experimental:b compatible_types_in_vm:R:VGPU_type""",
    "VTPM": """uuid:s allowed_operations:S current_operations:m VM:r:VM backend:r:VM
        persistence_backend:e is_unique:b is_protected:b""",
    "VUSB": """uuid:s allowed_operations:S current_operations:m VM:r:VM USB_group:r:USB_group
        other_config:m* currently_attached:b""",
    "PUSB": """uuid:s USB_group:r:USB_group host:r:host path:s vendor_id:s vendor_desc:s
        product_id:s product_desc:s serial:s version:s description:s passthrough_enabled:b
        other_config:m* speed:f""",
    "USB_group": """uuid:s name_label:s* name_description:s* PUSBs:R:PUSB VUSBs:R:VUSB
        other_config:m*""",
    "pool_update": """uuid:s name_label:s name_description:s version:s installation_size:i key:s
        after_apply_guidance:S vdi:r:VDI hosts:R:host other_config:m* enforce_homogeneity:b""",
    "host_patch": """uuid:s name_label:s name_description:s version:s host:r:host applied:b
        timestamp_applied:d size:i pool_patch:r:pool_patch other_config:m*""",
    "pool_patch": """uuid:s name_label:s name_description:s version:s size:i pool_applied:b
        host_patches:R:host_patch after_apply_guidance:S pool_update:r:pool_update
        other_config:m*""",
    "network_sriov": """uuid:s physical_PIF:r:PIF logical_PIF:r:PIF requires_reboot:b
        configuration_mode:e""",
    "tunnel": """uuid:s access_PIF:r:PIF transport_PIF:r:PIF status:m* other_config:m* protocol:e""",
    "VMSS": """uuid:s name_label:s* name_description:s* enabled:b* type:e* retained_snapshots:i*
        frequency:e* schedule:m* last_run_time:d VMs:R:VM""",
    "VM_appliance": """uuid:s name_label:s* name_description:s* allowed_operations:S
        current_operations:m VMs:R:VM""",
}

# (owner class, ref field, other class, set field): both ends kept consistent by the db.
RELATIONS = [
    ("VBD", "VM", "VM", "VBDs"), ("VBD", "VDI", "VDI", "VBDs"),
    ("VDI", "SR", "SR", "VDIs"), ("PBD", "SR", "SR", "PBDs"),
    ("PBD", "host", "host", "PBDs"), ("PIF", "host", "host", "PIFs"),
    ("PIF", "network", "network", "PIFs"), ("VIF", "network", "network", "VIFs"),
    ("VIF", "VM", "VM", "VIFs"), ("VM", "resident_on", "host", "resident_VMs"),
    ("VM", "snapshot_of", "VM", "snapshots"), ("VDI", "snapshot_of", "VDI", "snapshots"),
    ("console", "VM", "VM", "consoles"), ("host_cpu", "host", "host", "host_CPUs"),
    ("task", "subtask_of", "task", "subtasks"), ("VM", "parent", "VM", "children"),
    ("PIF", "bond_slave_of", "Bond", "slaves"), ("Bond", "master", "PIF", "bond_master_of"),
    ("VLAN", "tagged_PIF", "PIF", "VLAN_slave_of"),
    ("Certificate", "host", "host", "certificates"), ("PCI", "host", "host", "PCIs"),
    ("PGPU", "host", "host", "PGPUs"), ("PUSB", "host", "host", "PUSBs"),
    ("VGPU", "VM", "VM", "VGPUs"), ("VTPM", "VM", "VM", "VTPMs"), ("VUSB", "VM", "VM", "VUSBs"),
    ("VGPU", "GPU_group", "GPU_group", "VGPUs"), ("VGPU", "type", "VGPU_type", "VGPUs"),
]

# Objects deleted together with their owner (owner class, ref field on owner).
CASCADE_DEL_FIELDS = {"VM": ["metrics", "guest_metrics"]}

_DEFAULTS = {"s": "", "i": 0, "f": 0.0, "b": False, "d": EPOCH, "e": "", "S": None,
             "m": None, "r": NULL, "R": None, "M": None}


class Field:
    __slots__ = ("name", "kind", "target", "rw")

    def __init__(self, spec):
        self.rw = spec.endswith("*")
        spec = spec.rstrip("*")
        parts = spec.split(":")
        self.name = parts[0]
        self.kind = parts[1]
        self.target = parts[2] if len(parts) > 2 else None

    def default(self):
        d = _DEFAULTS[self.kind]
        if d is None:
            return [] if self.kind in ("S", "R") else {}
        return d

    @property
    def is_map(self):
        return self.kind in ("m", "M")

    @property
    def is_set(self):
        return self.kind in ("S", "R")


class ClassDef:
    def __init__(self, name, spec):
        self.name = name
        self.lower = name.lower()
        self.fields = [Field(s) for s in spec.split()]
        self.by_name = {f.name: f for f in self.fields}

    def blank(self):
        return {f.name: f.default() for f in self.fields}

    @property
    def has_name_label(self):
        return "name_label" in self.by_name


CLASSES = {name: ClassDef(name, spec) for name, spec in _CLASSES.items()}
LOWER = {c.lower: c.name for c in CLASSES.values()}

# Enum value sets used for input validation of setters ((class, field) → values).
VM_POWER_STATES = ("Halted", "Paused", "Running", "Suspended")
ENUMS = {
    ("VM", "actions_after_shutdown"): ("destroy", "restart"),
    ("VM", "actions_after_reboot"): ("destroy", "restart"),
    ("VM", "actions_after_softreboot"): ("soft_reboot", "destroy", "restart"),
    ("VBD", "mode"): ("RO", "RW"),
    ("VBD", "type"): ("CD", "Disk", "Floppy"),
    ("VIF", "locking_mode"): ("network_default", "locked", "unlocked", "disabled"),
    ("host", "display"): ("enabled", "disable_on_reboot", "disabled", "enable_on_reboot"),
}

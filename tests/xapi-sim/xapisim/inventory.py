"""Deterministic inventory generator (--seed): pool, hosts, control domains, templates,
VMs in every power state, snapshots, SRs (local, shared NFS, ISO), VDI chains, networks
with bonded and VLAN PIFs, guest metrics, alarms and messages. Runs once at start-up."""
import os
import random
import time
import uuid as uuidlib

from . import schema
from .wire import DateTime, EPOCH
from .vm_checks import allowed_operations

GiB = 1 << 30
MiB = 1 << 20
NULL = schema.NULL

PRODUCT = {"product_version": "8.3.0", "product_version_text": "8.3",
           "product_version_text_short": "8.3", "platform_name": "XCP",
           "platform_version": "3.4.0", "product_brand": "XCP-ng", "build_number": "cloud",
           "git_id": "0", "xapi": "24.19", "xapi_build": "24.19.2", "xen": "4.17.4-3",
           "linux": "4.19.0+1", "xencenter_min": "2.21", "xencenter_max": "2.21",
           "network_backend": "openvswitch", "db_schema": "5.775", "date": "2024-09-01"}

DEFAULT_TEMPLATES = [("Debian Bookworm 12", "pv_in_pvh"), ("Ubuntu Jammy Jellyfish 22.04", "hvm"),
                     ("Windows Server 2022 (64-bit)", "hvm"), ("Rocky Linux 9", "hvm"),
                     ("Other install media", "hvm"), ("CentOS Stream 9", "hvm")]


class Builder:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.objs = {c: {} for c in schema.CLASSES}
        self.vbds_of = {}   # VM ref → its VBD refs (avoids scanning all VBDs)

    def uuid(self):
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def mk(self, cls_, **fields):
        rec = schema.CLASSES[cls_].blank()
        rec.update(fields)
        if not rec.get("uuid"):
            rec["uuid"] = self.uuid()
        ref = "OpaqueRef:" + self.uuid()
        self.objs[cls_][ref] = rec
        if cls_ == "VBD":
            self.vbds_of.setdefault(rec["VM"], []).append(ref)
        return ref

    def rec(self, cls, ref):
        return self.objs[cls][ref]

    def fill_relations(self):
        for owner, field, other, setf in schema.RELATIONS:
            for rec in self.objs[other].values():
                rec[setf] = []
            for ref, rec in self.objs[owner].items():
                t = self.objs[other].get(rec[field])
                if t is not None:
                    t[setf].append(ref)


def mac(rng):
    return "%02x:%02x:%02x:%02x:%02x:%02x" % tuple([0x02] + [rng.randrange(256) for _ in range(5)])


def generate(sim, n_vms, n_hosts, seed, master_address="127.0.0.1"):
    """Fill sim.db; create sparse disk files in sim.state_dir. Returns the Builder."""
    b = Builder(seed)
    now = time.time()
    boot = DateTime.from_unix(now - 86400 * 3)
    for t in ("ext", "nfs", "iso", "lvm", "udev"):
        b.mk("SM", name_label=t, type=t, vendor="Vates", version="1.0",
             required_api_version="1.0", capabilities=["VDI_CREATE", "VDI_DELETE",
             "VDI_SNAPSHOT", "VDI_CLONE", "VDI_RESIZE"] if t != "iso" else [],
             name_description="SR driver " + t, driver_filename="/opt/xensource/sm/%sSR" % t,
             supported_image_formats=["vhd"] if t != "iso" else [])
    # networks
    mgmt_net = b.mk("network", name_label="Pool-wide network associated with eth0",
                    bridge="xenbr0", MTU=1500, managed=True, default_locking_mode="unlocked",
                    other_config={"automatic": "true"})
    bond_net = b.mk("network", name_label="Bond 1+2", bridge="xapi1", MTU=1500, managed=True,
                    default_locking_mode="unlocked")
    vlan_net = b.mk("network", name_label="VLAN 100 (storage)", bridge="xapi2", MTU=1500,
                    managed=True, default_locking_mode="unlocked")
    b.mk("network", name_label="Host internal management network",
                        bridge="xenapi", MTU=1500, managed=True, default_locking_mode="unlocked",
                        other_config={"is_guest_installer_network": "true",
                                      "is_host_internal_management_network": "true"})
    # shared SRs
    nfs = b.mk("SR", name_label="NFS storage", name_description="NFS SR [10.0.0.5:/export]",
               type="nfs", content_type="user", shared=True, physical_size=2048 * GiB,
               sm_config={}, other_config={"auto-scan": "false"},
               allowed_operations=["vdi_create", "vdi_destroy", "vdi_snapshot", "vdi_clone",
                                   "vdi_resize", "scan", "plug", "unplug", "update"])
    iso = b.mk("SR", name_label="ISO library", name_description="NFS ISO library",
               type="iso", content_type="iso", shared=True, physical_size=200 * GiB,
               other_config={"i18n-key": "local-iso"}, allowed_operations=["scan"])
    isos = [b.mk("VDI", name_label=n, SR=iso, virtual_size=s, physical_utilisation=s,
                 type="user", read_only=True, managed=True, location=n, sharable=True,
                 allowed_operations=["clone", "snapshot"])
            for n, s in (("debian-12.iso", 628 * MiB), ("ubuntu-22.04.iso", 2 * GiB),
                         ("xcp-ng-8.3.iso", 600 * MiB), ("guest-tools.iso", 40 * MiB))]
    b.rec("VDI", isos[-1])["is_tools_iso"] = True
    hosts, local_srs, domains = [], [], []
    for h in range(n_hosts):
        addr = master_address if h == 0 else "127.0.0.%d" % (h + 1)
        name = "xcp-host-%d" % (h + 1)
        metrics = NULL
        if not (n_hosts >= 4 and h == n_hosts - 1):  # the last of ≥4 hosts has no metrics
            metrics = b.mk("host_metrics", memory_total=256 * GiB, memory_free=160 * GiB,
                           live=True, last_updated=DateTime.from_unix(now))
        host = b.mk("host", name_label=name, name_description="Default install", hostname=name,
                    address=addr, enabled=True, API_version_major=2, API_version_minor=21,
                    API_version_vendor="XenSource", software_version=dict(PRODUCT, hostname=name),
                    capabilities=["xen-3.0-x86_64", "hvm-3.0-x86_32", "hvm-3.0-x86_64"],
                    other_config={"iscsi_iqn": "iqn.2024-01.com.example:%s" % name,
                                  "boot_time": "%d" % (now - 86400 * 3),
                                  "agent_start_time": "%d" % (now - 86400)},
                    cpu_info={"cpu_count": "16", "socket_count": "2", "vendor": "GenuineIntel",
                              "speed": "2394.454", "modelname": "Intel(R) Xeon(R) Gold 6130",
                              "family": "6", "model": "85", "stepping": "4",
                              "flags": "fpu vme de pse", "features": "fffbfbff-77fefbff"},
                    metrics=metrics, memory_overhead=1200 * MiB, sched_policy="credit",
                    license_params={"expiry": "30001231T00:00:00Z", "restrict_zstd_export": "false"},
                    edition="xcp-ng", license_server={"address": "localhost", "port": "27000"},
                    bios_strings={"bios-vendor": "Dell Inc.", "system-manufacturer": "Dell Inc.",
                                  "system-product-name": "PowerEdge R640"},
                    power_on_mode="", chipset_info={"iommu": "true"}, iscsi_iqn="iqn.%s" % name,
                    logging={}, allowed_operations=["provision", "evacuate", "reboot", "shutdown",
                                                    "vm_start", "vm_resume", "vm_migrate"],
                    supported_bootloaders=["pygrub", "eliloader"], https_only=False,
                    virtual_hardware_platform_versions=[0, 1, 2],
                    display="enabled", latest_synced_updates_applied="unknown",
                    numa_affinity_policy="default_policy", last_software_update=boot)
        for i in range(4):
            b.mk("host_cpu", host=host, number=i, vendor="GenuineIntel", speed=2394,
                 modelname="Intel(R) Xeon(R) Gold 6130", family=6, model=85, stepping="4",
                 flags="fpu vme de pse", utilisation=round(b.rng.random(), 3))
        hosts.append(host)
        fp = ":".join("%02X" % b.rng.randrange(256) for _ in range(32))
        b.mk("Certificate", name="", type="host", host=host, fingerprint=fp, fingerprint_sha256=fp,
             not_before=DateTime.from_unix(now - 86400 * 30),
             not_after=DateTime.from_unix(now + 86400 * 3650))
        _host_pifs(b, host, h, addr, mgmt_net, bond_net, vlan_net)
        local = b.mk("SR", name_label="Local storage", name_description="on " + name,
                     type="ext", content_type="user", shared=False, physical_size=1024 * GiB,
                     allowed_operations=["vdi_create", "vdi_destroy", "vdi_snapshot",
                                         "vdi_clone", "vdi_resize", "scan"],
                     other_config={"i18n-key": "local-storage"})
        local_srs.append(local)
        for sr, cfg in ((local, {"device": "/dev/sda3"}),
                        (nfs, {"server": "10.0.0.5", "serverpath": "/export"}),
                        (iso, {"location": "10.0.0.5:/iso"})):
            b.mk("PBD", host=host, SR=sr, device_config=cfg, currently_attached=True)
        dom0 = _vm(b, "Control domain on host: " + name, "Running", host, nets=[],
                   is_control_domain=True, domid=0, memory=4 * GiB, vcpus=8, now=now)
        b.rec("host", host)["control_domain"] = dom0
        domains.append(dom0)
    pool = b.mk("pool", name_label="Simulated pool", master=hosts[0], default_SR=nfs,
                suspend_image_SR=nfs, crash_dump_SR=nfs,
                other_config={"auto_poweron": "false", "memory-ratio-hvm": "0.25"},
                restrictions={"restrict_zstd_export": "false", "restrict_vtpm": "false"},
                cpu_info={"cpu_count": str(16 * n_hosts), "socket_count": str(2 * n_hosts),
                          "vendor": "GenuineIntel"},
                migration_compression=False, coordinator_bias=True,
                allowed_operations=["ha_enable", "cluster_create", "designate_new_master"],
                update_sync_frequency="weekly", telemetry_frequency="weekly",
                telemetry_next_collection=EPOCH, last_update_sync=EPOCH,
                local_auth_max_threads=8, ext_auth_max_threads=1, tls_verification_enabled=True)
    # templates
    for name, dtype in DEFAULT_TEMPLATES:
        _vm(b, name, "Halted", None, nets=[], template=True, default=True, dtype=dtype, now=now)
    customs = []
    for i in range(3):
        t = _vm(b, "Custom template %d" % (i + 1), "Halted", None, nets=[mgmt_net],
                template=True, now=now)
        _disk(b, t, nfs, 10 * GiB, 0, "template disk %d" % i)
        customs.append(t)
    # ordinary VMs
    states = ["Running", "Halted", "Running", "Suspended", "Running", "Halted", "Running",
              "Paused", "Running", "Halted"]
    vms = []
    for i in range(n_vms):
        state = states[i % len(states)] if n_vms >= 4 else ["Running", "Halted", "Suspended"][i % 3]
        host = hosts[b.rng.randrange(n_hosts)]
        resident = host if state in ("Running", "Paused") else None
        sr = local_srs[hosts.index(host)] if i % 3 == 0 else nfs
        vm = _vm(b, "vm-%05d" % (i + 1), state, resident, nets=[mgmt_net] if i % 4 else [mgmt_net, vlan_net],
                 guest_tools=(state == "Running" and i % 3 != 1), now=now, index=i)
        _disk(b, vm, sr, (10 + 10 * (i % 4)) * GiB, 0, "vm-%05d disk 0" % (i + 1))
        if i % 5 == 0:
            _disk(b, vm, sr, 4 * GiB, 1, "vm-%05d data" % (i + 1))
        _cd(b, vm, isos[i % len(isos)] if i % 2 else NULL)
        if state == "Suspended":
            sv = b.mk("VDI", name_label="Suspend image", SR=nfs, type="suspend",
                      virtual_size=2 * GiB, physical_utilisation=GiB, managed=True,
                      allowed_operations=["destroy"])
            b.rec("VM", vm)["suspend_VDI"] = sv
        if i % 4 == 2:
            _snapshot(b, vm, "vm-%05d before upgrade" % (i + 1), now - 3600 * (i % 48 + 1), sr)
        vms.append(vm)
        if i % 10 == 3:
            b.mk("message", name="ALARM", priority=3, cls="VM", obj_uuid=b.rec("VM", vm)["uuid"],
                 timestamp=DateTime.from_unix(now - i),
                 body="value: 0.97\nconfig:\n<variable>\n\t<name value=\"cpu_usage\"/>\n"
                      "\t<alarm_trigger_level value=\"0.95\"/>\n</variable>\n")
        elif i % 10 == 7:
            b.mk("message", name="VM_STARTED", priority=5, cls="VM",
                 obj_uuid=b.rec("VM", vm)["uuid"], timestamp=DateTime.from_unix(now - i),
                 body="VM '%s' started" % b.rec("VM", vm)["name_label"])
    b.mk("message", name="HOST_CLOCK_SKEW_DETECTED", priority=3, cls="Host",
         obj_uuid=b.rec("host", hosts[0])["uuid"], timestamp=DateTime.from_unix(now - 5), body="")
    b.fill_relations()
    _host_memory(b)
    for vm in list(b.objs["VM"]):
        r = b.objs["VM"][vm]
        r["allowed_operations"] = allowed_operations(r, b.objs["VM_guest_metrics"].get(r["guest_metrics"]))
    sim.db.load(b.objs)
    sim.pool_ref, sim.master_ref = pool, hosts[0]
    _disk_files(sim, b)
    return b


def _host_memory(b):
    """memory_total/free from what runs on each host (total at least 256 GiB, 40% spare)."""
    for host in b.objs["host"].values():
        hm = b.objs["host_metrics"].get(host["metrics"])
        if hm is None:
            continue
        used = sum(b.objs["VM_metrics"][b.objs["VM"][v]["metrics"]]["memory_actual"] +
                   b.objs["VM"][v]["memory_overhead"] for v in host["resident_VMs"])
        total = max(256 * GiB, -(-used * 5 // 3 // GiB) * GiB)
        hm.update(memory_total=total, memory_free=total - used - host["memory_overhead"])


def _host_pifs(b, host, h, addr, mgmt_net, bond_net, vlan_net):
    def pif(device, net, **kw):
        m = b.mk("PIF_metrics", carrier=True, speed=10000, duplex=True, vendor_name="Intel Corporation",
                 device_name="Ethernet Controller X710", vendor_id="8086", device_id="1572",
                 pci_bus_path="0000:%02x:00.0" % (len(device)), last_updated=EPOCH)
        fields = dict(device=device, network=net, host=host, MAC=mac(b.rng), MTU=1500, VLAN=-1,
                      metrics=m, physical=True, currently_attached=True,
                      ip_configuration_mode="None", ipv6_configuration_mode="None",
                      primary_address_type="IPv4", managed=True,
                      properties={"gro": "on"}, capabilities=["fcoe"],
                      igmp_snooping_status="disabled")
        fields.update(kw)
        return b.mk("PIF", **fields)
    eth0 = pif("eth0", mgmt_net, management=True, ip_configuration_mode="Static", IP=addr,
               netmask="255.0.0.0", gateway="127.0.0.254", DNS="127.0.0.53", disallow_unplug=True)
    eth1 = pif("eth1", NULL)
    eth2 = pif("eth2", NULL)
    bond_master = pif("bond0", bond_net, physical=False, metrics=NULL)
    bond = b.mk("Bond", master=bond_master, primary_slave=eth1, mode="active-backup",
                links_up=2, properties={"mode": "active-backup"})
    for s in (eth1, eth2):
        b.rec("PIF", s)["bond_slave_of"] = bond
    b.rec("PIF", bond_master)["bond_master_of"] = [bond]
    vlan_pif = pif("eth0", vlan_net, physical=False, VLAN=100, metrics=NULL,
                   ip_configuration_mode="DHCP", IP="10.100.0.%d" % (h + 10),
                   netmask="255.255.255.0")
    v = b.mk("VLAN", tagged_PIF=eth0, untagged_PIF=vlan_pif, tag=100)
    b.rec("PIF", vlan_pif)["VLAN_master_of"] = v


def _vm(b, name, state, host, nets, template=False, default=False, is_control_domain=False,
        domid=None, memory=2 * GiB, vcpus=2, dtype="hvm", guest_tools=False, now=0, index=0):
    running = state in ("Running", "Paused")
    metrics = b.mk("VM_metrics", memory_actual=memory if running else 0,
                   VCPUs_number=vcpus if running else 0,
                   VCPUs_utilisation={}, VCPUs_CPU={}, VCPUs_params={}, VCPUs_flags={},
                   start_time=DateTime.from_unix(now - 3600 - index) if running else EPOCH,
                   install_time=DateTime.from_unix(now - 86400 * 30), last_updated=EPOCH,
                   hvm=dtype == "hvm", current_domain_type=dtype if running else "unspecified")
    other = {"mac_seed": b.uuid(), "base_template_name": "Debian Bookworm 12",
             "import_task": "OpaqueRef:NULL"}
    if default:
        other = {"default_template": "true", "install-methods": "cdrom,nfs,http,ftp",
                 "linux_template": "true", "disks":
                 '<provision><disk device="0" size="10737418240" sr="" bootable="true" type="system"/></provision>'}
    rec = dict(name_label=name, name_description="" if not template else "Template " + name,
               power_state=state, is_a_template=template, is_default_template=default,
               resident_on=host or NULL, memory_overhead=20 * MiB, memory_target=memory,
               memory_static_max=memory, memory_dynamic_max=memory, memory_dynamic_min=memory // 2,
               memory_static_min=memory // 4, VCPUs_params={"weight": "256"}, VCPUs_max=vcpus,
               VCPUs_at_startup=vcpus, actions_after_softreboot="soft_reboot",
               actions_after_shutdown="destroy", actions_after_reboot="restart",
               actions_after_crash="restart", HVM_boot_policy="BIOS order" if dtype == "hvm" else "",
               HVM_boot_params={"order": "cdn", "firmware": "bios"} if dtype == "hvm" else {},
               HVM_shadow_multiplier=1.0, PV_bootloader="pygrub" if dtype != "hvm" else "",
               platform={"viridian": "false", "nx": "true", "acpi": "1", "apic": "true",
                         "pae": "true", "timeoffset": "0", "device-model": "qemu-upstream-compat",
                         "cores-per-socket": "1", "videoram": "8"},
               other_config=other, domid=(domid if domid is not None else (index + 1)) if running else -1,
               domarch="x64" if running else "", is_control_domain=is_control_domain,
               metrics=metrics, user_version=1, ha_restart_priority="", domain_type=dtype,
               bios_strings={"bios-vendor": "Xen", "system-manufacturer": "Xen"},
               has_vendor_device=False, hardware_platform_version=2, snapshot_time=EPOCH,
               blocked_operations={}, generation_id="0:0", start_delay=0,
               recommendations='<restrictions><restriction field="memory-static-max" max="137438953472"/></restrictions>')
    vm = b.mk("VM", **rec)
    if running:
        addr = b.rec("host", host)["address"]
        for proto in ("rfb", "vt100"):
            cu = b.uuid()
            b.mk("console", uuid=cu, protocol=proto, VM=vm,
                 location="https://%s/console?uuid=%s" % (addr, cu))
    if guest_tools:
        ip = "10.0.%d.%d" % ((index // 250) % 250, index % 250 + 2)
        gm = b.mk("VM_guest_metrics",
                  os_version={"name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian",
                              "major": "12", "minor": "5", "uname": "6.1.0-18-amd64"},
                  PV_drivers_version={"major": "8", "minor": "3", "micro": "0", "build": "1"},
                  PV_drivers_up_to_date=True, PV_drivers_detected=True,
                  networks={"0/ip": ip, "0/ipv4/0": ip, "0/ipv6/0": "fe80::%x" % (index + 1)},
                  other={"feature-shutdown": "1", "feature-poweroff": "1", "feature-reboot": "1",
                         "feature-suspend": "1", "feature-static-ip-setting": "1",
                         "has-vendor-device": "0", "platform-feature-multiprocessor-suspend": "1"},
                  memory={}, disks={}, last_updated=DateTime.from_unix(now - 60), live=True,
                  can_use_hotplug_vbd="yes", can_use_hotplug_vif="yes")
        b.rec("VM", vm)["guest_metrics"] = gm
    for d, net in enumerate(nets):
        b.mk("VIF", device=str(d), network=net, VM=vm, MAC=mac(b.rng), MTU=1500,
             currently_attached=running, MAC_autogenerated=True, locking_mode="network_default",
             qos_supported_algorithms=["ratelimit"], ipv4_configuration_mode="None",
             ipv6_configuration_mode="None",
             allowed_operations=["attach", "unplug"] if running else ["attach"])
    return vm


def _disk(b, vm, sr, size, position, label):
    vdi = b.mk("VDI", name_label=label, SR=sr, virtual_size=size,
               physical_utilisation=size // 4, type="system" if position == 0 else "user",
               managed=True, location="", sm_config={"image-format": "vhd"},
               allowed_operations=["clone", "destroy", "resize", "snapshot", "copy",
                                   "generate_config", "mirror", "update", "forget",
                                   "data_destroy", "set_on_boot", "disable_cbt", "enable_cbt"],
               on_boot="persist", other_config={})
    running = b.rec("VM", vm)["power_state"] in ("Running", "Paused")
    b.mk("VBD", VM=vm, VDI=vdi, device="xvd" + "abcdefgh"[position], userdevice=str(position),
         bootable=position == 0, mode="RW", type="Disk", unpluggable=True,
         currently_attached=running, qos_supported_algorithms=["ionice"],
         allowed_operations=["attach", "unpause", "pause"] if running else ["attach"])
    return vdi


def _cd(b, vm, vdi):
    running = b.rec("VM", vm)["power_state"] in ("Running", "Paused")
    b.mk("VBD", VM=vm, VDI=vdi, device="xvdd", userdevice="3", bootable=False, mode="RO",
         type="CD", unpluggable=True, empty=vdi == NULL, currently_attached=running,
         allowed_operations=["attach", "insert"] if vdi == NULL else ["attach", "eject"])


def _snapshot(b, vm, name, t, sr):
    src = b.rec("VM", vm)
    snap_rec = dict(src)
    snap_rec = {k: v for k, v in src.items() if k not in ("uuid",)}
    snap_rec.update(name_label=name, is_a_snapshot=True, is_a_template=True,
                    snapshot_of=vm, snapshot_time=DateTime.from_unix(t), power_state="Halted",
                    resident_on=NULL, domid=-1, guest_metrics=NULL, VBDs=[], VIFs=[],
                    consoles=[], snapshots=[], current_operations={}, suspend_VDI=NULL,
                    other_config=dict(src["other_config"]),
                    metrics=b.mk("VM_metrics", install_time=DateTime.from_unix(t),
                                 start_time=EPOCH, last_updated=EPOCH))
    snap = b.mk("VM", **snap_rec)
    for vbd in list(b.vbds_of.get(vm, [])):
        vrec = b.rec("VBD", vbd)
        if vrec["type"] != "Disk":
            continue
        orig = b.rec("VDI", vrec["VDI"])
        svdi = b.mk("VDI", **{k: v for k, v in orig.items() if k != "uuid"})
        srec = b.rec("VDI", svdi)
        srec.update(name_label=orig["name_label"], is_a_snapshot=True, snapshot_of=vrec["VDI"],
                    snapshot_time=DateTime.from_unix(t), sm_config=dict(orig["sm_config"]))
        orig["sm_config"] = dict(orig["sm_config"], **{"vhd-parent": srec["uuid"]})
        b.mk("VBD", **dict({k: v for k, v in vrec.items() if k != "uuid"},
                           VM=snap, VDI=svdi, currently_attached=False, device=""))
    return snap


def _disk_files(sim, b):
    pattern = bytes(range(256)) * 4096  # 1 MiB of non-zero data
    written = 0
    for ref, rec in b.objs["VDI"].items():
        path = os.path.join(sim.state_dir, rec["uuid"] + ".raw")
        with open(path, "wb") as f:
            f.truncate(rec["virtual_size"])
            # a few disks get real data so exports are non-trivial
            if written < 3 and rec["type"] == "system" and not rec["is_a_snapshot"]:
                f.seek(0)
                f.write(pattern)
                f.seek(3 * MiB + 4096)
                f.write(b"xapi-sim data block " * 1000)
                f.seek(rec["virtual_size"] - MiB)
                f.write(pattern)
                written += 1

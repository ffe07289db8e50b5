"""Deterministic inventory generator (--seed): pool, hosts, control domains, templates,
VMs in every power state, snapshots, SRs (local, shared NFS, ISO), VDI chains, networks
with bonded and VLAN PIFs, guest metrics, alarms and messages. Runs once at start-up.

The ordinary VMs vary as a real pool's do (see README "Inventory"): vCPUs 1-32, memory
512 MiB-64 GiB, HVM/PV/PVH, BIOS/UEFI, 0-6 disks over local, NFS and iSCSI SRs, 0-4 VIFs
over several networks, tags, descriptions, HA priorities, affinity, guest tools present or
not (and some VMs that never get them), snapshot chains, several <restriction>s in
`recommendations` (some with supports-bios=no). Everything comes from one random.Random(seed):
the same (--vms, --hosts, --seed) gives the same pool."""
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

# Ordinary VMs: (weight, value) tables the generator draws from.
VCPUS = [(10, 1), (30, 2), (25, 4), (15, 8), (8, 12), (7, 16), (3, 24), (2, 32)]
MEMORY = [(6, 512 * (1 << 20)), (14, 1 << 30), (25, 2 << 30), (22, 4 << 30), (15, 8 << 30),
          (9, 16 << 30), (5, 32 << 30), (4, 64 << 30)]
DISKS = [(5, 0), (45, 1), (25, 2), (12, 3), (7, 4), (4, 5), (2, 6)]
VIFS = [(8, 0), (55, 1), (25, 2), (8, 3), (4, 4)]
DOMAIN_TYPES = [(60, "hvm"), (15, "pv"), (25, "pvh")]
TAGS = ["prod", "staging", "dev", "backup", "web", "db", "critical", "linux", "windows", "k8s",
        "legacy", "customer-a", "customer-b", "to-migrate"]
DESCRIPTIONS = ["", "", "", "Web front end", "PostgreSQL primary", "PostgreSQL replica",
                "CI runner", "Build cache", "Kubernetes worker", "Mail relay", "Monitoring",
                "Legacy ERP (do not reboot during business hours)", "File server",
                "Jump host | admin access", "Test VM\nsecond line", "Élan — production"]
HA_PRIORITIES = [(70, ""), (15, "best-effort"), (15, "restart")]
GUEST_OS = [
    {"name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian", "major": "12", "minor": "5",
     "uname": "6.1.0-18-amd64"},
    {"name": "Ubuntu 22.04.4 LTS", "distro": "ubuntu", "major": "22", "minor": "04",
     "uname": "5.15.0-101-generic"},
    {"name": "Rocky Linux 9.3 (Blue Onyx)", "distro": "rocky", "major": "9", "minor": "3",
     "uname": "5.14.0-362.el9.x86_64"},
    {"name": "Microsoft Windows Server 2022 Standard|C:\\Windows|\\Device\\Harddisk0\\Partition2",
     "distro": "windows", "major": "10", "minor": "0", "spmajor": "0", "spminor": "0"},
    {"name": "Alpine Linux v3.19", "distro": "alpine", "major": "3", "minor": "19",
     "uname": "6.6.14-0-virt"},
]


def pick(rng, table):
    """A value of a (weight, value) table."""
    x = rng.random() * sum(w for w, _ in table)
    for w, v in table:
        x -= w
        if x < 0:
            return v
    return table[-1][1]


def recommendations(memory_max=1 << 40, vcpus_max=32, bios="yes", uefi="yes"):
    """Several <restriction>s, as real templates carry (XO's mapping needs more than one)."""
    parts = [("memory-static-max", "max", memory_max), ("vcpus-max", "max", vcpus_max),
             ("has-vendor-device", "value", "false"), ("allow-gpu-passthrough", "value", "1"),
             ("allow-vgpu", "value", "1"), ("allow-vtpm", "value", "1"),
             ("supports-bios", "value", bios), ("supports-uefi", "value", uefi),
             ("supports-secure-boot", "value", "yes" if uefi == "yes" else "no")]
    return "<restrictions>%s</restrictions>" % "".join(
        '<restriction field="%s" %s="%s"/>' % p for p in parts)


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
    for t in ("ext", "nfs", "iso", "lvm", "lvmoiscsi", "udev"):
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
    dmz_net = b.mk("network", name_label="VLAN 200 (DMZ)", name_description="public services",
                   bridge="xapi3", MTU=1500, managed=True, default_locking_mode="unlocked",
                   tags=["dmz"])
    backup_net = b.mk("network", name_label="VLAN 300 (backup)", bridge="xapi4", MTU=9000,
                      managed=True, default_locking_mode="unlocked")
    private_net = b.mk("network", name_label="Private cross-server network",
                       name_description="no physical interface", bridge="xapi5", MTU=1500,
                       managed=True, default_locking_mode="disabled")
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
    iscsi = b.mk("SR", name_label="iSCSI SAN", name_description="LUN 0 on 10.0.0.6",
                 type="lvmoiscsi", content_type="user", shared=True, physical_size=4096 * GiB,
                 sm_config={"allocation": "thick", "use_vhd": "true", "multipathable": "true"},
                 other_config={}, tags=["san"],
                 allowed_operations=["vdi_create", "vdi_destroy", "vdi_snapshot", "vdi_clone",
                                     "vdi_resize", "scan", "plug", "unplug", "update"])
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
                    cpu_info=dict({"cpu_count": "16", "socket_count": "2", "vendor": "GenuineIntel",
                              "speed": "2394.454", "modelname": "Intel(R) Xeon(R) Gold 6130",
                              "family": "6", "model": "85", "stepping": "4",
                              "flags": "fpu vme de pse", "features": "fffbfbff-77fefbff"},
                                  # XCP-ng 8.3 reports it; the other hosts look older (XO asks the plugin)
                                  **({"threads_per_core": "2"} if h % 2 == 0 else {})),
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
        _host_pifs(b, host, h, addr, mgmt_net, bond_net, [(vlan_net, 100), (dmz_net, 200),
                                                          (backup_net, 300)])
        local = b.mk("SR", name_label="Local storage", name_description="on " + name,
                     type="ext" if h % 2 == 0 else "lvm", content_type="user", shared=False,
                     physical_size=1024 * GiB,
                     allowed_operations=["vdi_create", "vdi_destroy", "vdi_snapshot",
                                         "vdi_clone", "vdi_resize", "scan"],
                     other_config={"i18n-key": "local-storage"})
        local_srs.append(local)
        for sr, cfg in ((local, {"device": "/dev/sda3"}),
                        (nfs, {"server": "10.0.0.5", "serverpath": "/export"}),
                        (iso, {"location": "10.0.0.5:/iso"}),
                        (iscsi, {"target": "10.0.0.6", "port": "3260", "SCSIid": "36001405abcdef",
                                 "targetIQN": "iqn.2024-01.org.example:san", "chappassword": "s3cret"})):
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
    shared_srs = [nfs, nfs, iscsi]
    vm_nets = [mgmt_net, mgmt_net, mgmt_net, vlan_net, dmz_net, backup_net, bond_net, private_net]
    rng = b.rng
    vms = []
    for i in range(n_vms):
        state = states[i % len(states)] if n_vms >= 4 else ["Running", "Halted", "Suspended"][i % 3]
        host = hosts[rng.randrange(n_hosts)]
        resident = host if state in ("Running", "Paused") else None
        dtype = pick(rng, DOMAIN_TYPES)
        uefi = dtype == "hvm" and rng.random() < 0.3
        # some HVM VMs say they cannot boot with BIOS (XO: isFirmwareSupported false for BIOS ones)
        no_bios = dtype == "hvm" and (uefi or rng.random() < 0.1)
        memory = pick(rng, MEMORY)
        vcpus = pick(rng, VCPUS)
        n_disks = pick(rng, DISKS)
        n_vifs = pick(rng, VIFS)
        nets = [mgmt_net] if n_vifs else []
        nets += [vm_nets[rng.randrange(len(vm_nets))] for _ in range(n_vifs - 1)]
        never_tools = rng.random() < 0.15
        tools = state == "Running" and i % 3 != 1 and not never_tools
        tags = sorted(set(rng.sample(TAGS, pick(rng, [(30, 0), (30, 1), (25, 2), (10, 3), (5, 4)]))))
        ha = pick(rng, HA_PRIORITIES)
        affinity = hosts[rng.randrange(n_hosts)] if rng.random() < 0.2 else NULL
        other = {}
        if never_tools:
            other["sim:no-tools"] = "true"
        if rng.random() < 0.3:
            other["auto_poweron"] = "true"
        if rng.random() < 0.2:
            other["folder"] = "/%s/%s" % (rng.choice(["prod", "dev"]), rng.choice(["web", "db", "misc"]))
        vm = _vm(b, "vm-%05d" % (i + 1), state, resident, nets=nets, guest_tools=tools, now=now,
                 index=i, memory=memory, vcpus=vcpus, dtype=dtype, firmware="uefi" if uefi else "bios",
                 description=rng.choice(DESCRIPTIONS), tags=tags, ha_priority=ha, affinity=affinity,
                 extra_other=other, guest_os=GUEST_OS[rng.randrange(len(GUEST_OS))],
                 recs=recommendations(memory_max=max(memory, 64 * GiB) * 2, vcpus_max=max(vcpus, 32),
                                      bios="no" if no_bios else "yes"))
        if rng.random() < 0.1:
            b.rec("VM", vm).update(order=rng.randrange(1, 5), start_delay=rng.choice([0, 10, 30]))
        local = local_srs[hosts.index(host)]
        sr = local if i % 3 == 0 else shared_srs[rng.randrange(len(shared_srs))]
        for d in range(n_disks):
            size = rng.choice([4, 8, 10, 20, 32, 50, 100, 250]) * GiB
            disk_sr = sr if d == 0 or rng.random() < 0.7 else shared_srs[rng.randrange(len(shared_srs))]
            _disk(b, vm, disk_sr, size, d if d < 3 else d + 1,
                  "vm-%05d %s" % (i + 1, "disk 0" if d == 0 else "data %d" % d))
        if dtype != "pv":
            _cd(b, vm, isos[i % len(isos)] if i % 2 else NULL)
        if state == "Suspended":
            sv = b.mk("VDI", name_label="Suspend image", SR=nfs, type="suspend",
                      virtual_size=2 * GiB, physical_utilisation=GiB, managed=True,
                      allowed_operations=["destroy"])
            b.rec("VM", vm)["suspend_VDI"] = sv
        if i % 4 == 2:  # a chain of 1-3 snapshots, oldest first
            n_snaps = 1 + (rng.random() < 0.4) + (rng.random() < 0.2)
            for k in range(n_snaps):
                _snapshot(b, vm, "vm-%05d %s" % (i + 1, ["before upgrade", "weekly", "pre-patch"][k]),
                          now - 3600 * (i % 48 + 1) * (n_snaps - k), sr)
        vms.append(vm)
        _vm_messages(b, vm, i, now)
    _infra_messages(b, pool, hosts, local_srs + [nfs, iscsi], now)
    # Own random stream: the rest of the inventory stays what it was for a given seed.
    main_rng, b.rng = b.rng, random.Random(seed * 7919 + 17)
    _host_pci_devices(b, hosts)
    b.rng = main_rng
    b.fill_relations()
    _host_memory(b)
    for vm in list(b.objs["VM"]):
        r = b.objs["VM"][vm]
        r["allowed_operations"] = allowed_operations(r, b.objs["VM_guest_metrics"].get(r["guest_metrics"]))
    sim.db.load(b.objs)
    sim.pool_ref, sim.master_ref = pool, hosts[0]
    _disk_files(sim, b)
    return b


def _alarm_body(value, variable, level):
    return ("value: %.6f\nconfig:\n<variable>\n\t<name value=\"%s\"/>\n"
            "\t<alarm_trigger_level value=\"%s\"/>\n\t<alarm_trigger_period value=\"60\"/>\n"
            "\t<alarm_auto_inhibit_period value=\"3600\"/>\n</variable>\n" % (value, variable, level))


def _message(b, name, priority, cls, obj, t, body):
    b.mk("message", name=name, priority=priority, cls=cls, obj_uuid=b.rec(
        {"VM": "VM", "Host": "host", "SR": "SR", "Pool": "pool"}[cls], obj)["uuid"],
        timestamp=DateTime.from_unix(t), body=body)


def _vm_messages(b, vm, i, now):
    """An alarm on one VM in ten, a notice on another, a few older ones."""
    name = b.rec("VM", vm)["name_label"]
    if i % 10 == 3:
        variable, value, level = [("cpu_usage", 0.97, "0.95"), ("disk_usage", 0.91, "0.9"),
                                  ("network_usage", 0.88, "0.8"),
                                  ("memory_internal_free", 0.02, "0.05")][(i // 10) % 4]
        _message(b, "ALARM", 3, "VM", vm, now - i, _alarm_body(value, variable, level))
    elif i % 10 == 7:
        _message(b, "VM_STARTED", 5, "VM", vm, now - i, "VM '%s' started" % name)
    elif i % 20 == 9:
        _message(b, "VM_SNAPSHOTTED", 5, "VM", vm, now - 3600 - i, "VM '%s' snapshotted" % name)
    elif i % 20 == 19:
        _message(b, "VM_SHUTDOWN", 4, "VM", vm, now - 7200 - i, "VM '%s' shutdown" % name)


def _infra_messages(b, pool, hosts, srs, now):
    """Alarms and notices on the pool, its hosts and SRs (names as XAPI emits them)."""
    _message(b, "HOST_CLOCK_SKEW_DETECTED", 3, "Host", hosts[0], now - 5, "")
    _message(b, "ALARM", 3, "Host", hosts[0], now - 40, _alarm_body(0.93, "cpu_usage", "0.9"))
    _message(b, "BOND_STATUS_CHANGED", 3, "Host", hosts[-1], now - 50,
             "The status of the eth1+eth2 bond is: 1/2 up")
    if len(hosts) > 1:
        _message(b, "ALARM", 3, "Host", hosts[1], now - 45,
                 _alarm_body(0.03, "memory_free_kib", "0.05"))
        _message(b, "MULTIPATH_PERIODIC_ALERT", 3, "Host", hosts[1], now - 55,
                 "Unhealthy paths:\n[20240101 10:00:00] 36001405abcdef on host %s: 1/2"
                 % b.rec("host", hosts[1])["name_label"])
    _message(b, "ALARM", 3, "SR", srs[-1], now - 60,
             _alarm_body(0.85, "sr_io_throughput_total_%s" % b.rec("SR", srs[-1])["uuid"][:8], "0.8"))
    _message(b, "PBD_PLUG_FAILED_ON_SERVER_START", 3, "SR", srs[0], now - 86400, "")
    _message(b, "ALARM", 2, "Pool", pool, now - 70,
             _alarm_body(1.0, "pool_license_days_left", "30"))
    _message(b, "POOL_MASTER_TRANSITION", 4, "Pool", pool, now - 86400 * 2,
             "The pool master changed to %s" % b.rec("host", hosts[0])["name_label"])


def _host_pci_devices(b, hosts):
    """Each host's NIC and on-board display (a PGPU, as xapi lists the system display device);
    even hosts also hold a passthrough GPU. GPU groups gather the PGPUs of one model."""
    passthrough = b.mk("VGPU_type", vendor_name="", model_name="passthrough", implementation="passthrough",
                       identifier="passthrough", experimental=False)
    groups = {}
    for h, host in enumerate(hosts):
        b.mk("PCI", class_name="Ethernet controller", vendor_name="Intel Corporation",
             device_name="Ethernet Controller X710 for 10GbE SFP+", pci_id="0000:3b:00.0", host=host,
             driver_name="i40e", subsystem_vendor_name="Dell", subsystem_device_name="Ethernet 10G 4P X710 SFP+ rNDC")
        gpus = [("VGA compatible controller", "Matrox Electronics Systems Ltd.", "Integrated Matrox G200eW3 Graphics Controller",
                 "0000:03:00.0", "mgag200", True)]
        if h % 2 == 0:
            gpus.append(("3D controller", "NVIDIA Corporation", "TU104GL [Tesla T4]", "0000:af:00.0", "nvidia", False))
        for cls_name, vendor, device, pci_id, driver, system in gpus:
            pci = b.mk("PCI", class_name=cls_name, vendor_name=vendor, device_name=device, pci_id=pci_id,
                       host=host, driver_name=driver)
            if device not in groups:
                groups[device] = b.mk("GPU_group", name_label="Group of %s %s GPUs" % (vendor, device),
                                      GPU_types=["%s %s" % (vendor, device)], allocation_algorithm="depth_first",
                                      supported_VGPU_types=[passthrough], enabled_VGPU_types=[passthrough])
            b.mk("PGPU", PCI=pci, GPU_group=groups[device], host=host, supported_VGPU_types=[passthrough],
                 enabled_VGPU_types=[passthrough], dom0_access="enabled" if system else "disabled",
                 is_system_display_device=system, compatibility_metadata={})


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


def _host_pifs(b, host, h, addr, mgmt_net, bond_net, vlans):
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
    for net, tag in vlans:  # VLAN 100 on eth0, the others on the bond
        tagged = eth0 if tag == 100 else bond_master
        vlan_pif = pif(b.rec("PIF", tagged)["device"], net, physical=False, VLAN=tag, metrics=NULL,
                       ip_configuration_mode="DHCP" if tag == 100 else "None",
                       IP="10.%d.0.%d" % (tag, h + 10) if tag == 100 else "",
                       netmask="255.255.255.0" if tag == 100 else "",
                       MTU=b.rec("network", net)["MTU"])
        v = b.mk("VLAN", tagged_PIF=tagged, untagged_PIF=vlan_pif, tag=tag)
        b.rec("PIF", vlan_pif)["VLAN_master_of"] = v


def _vm(b, name, state, host, nets, template=False, default=False, is_control_domain=False,
        domid=None, memory=2 * GiB, vcpus=2, dtype="hvm", guest_tools=False, now=0, index=0,
        firmware="bios", description=None, tags=(), ha_priority="", affinity=NULL,
        extra_other=None, guest_os=None, recs=None):
    running = state in ("Running", "Paused")
    metrics = b.mk("VM_metrics", memory_actual=memory if running else 0,
                   VCPUs_number=vcpus if running else 0,
                   VCPUs_utilisation={}, VCPUs_CPU={}, VCPUs_params={}, VCPUs_flags={},
                   start_time=DateTime.from_unix(now - 3600 - index) if running else EPOCH,
                   install_time=DateTime.from_unix(now - 86400 * 30), last_updated=EPOCH,
                   hvm=dtype == "hvm", current_domain_type=dtype if running else "unspecified")
    other = {"mac_seed": b.uuid(), "base_template_name": "Debian Bookworm 12",
             "import_task": "OpaqueRef:NULL"}
    other.update(extra_other or {})
    if default:
        other = {"default_template": "true", "install-methods": "cdrom,nfs,http,ftp",
                 "linux_template": "true", "disks":
                 '<provision><disk device="0" size="10737418240" sr="" bootable="true" type="system"/></provision>'}
    if description is None:
        description = "" if not template else "Template " + name
    hvm = dtype == "hvm"
    platform = {"viridian": "false", "nx": "true", "acpi": "1", "apic": "true",
                "pae": "true", "timeoffset": "0", "device-model": "qemu-upstream-compat",
                "cores-per-socket": "1", "videoram": "8"}
    if firmware == "uefi":
        platform.update(secureboot="true" if index % 2 else "false")
    if guest_os and guest_os["distro"] == "windows":
        platform.update(viridian="true", device_id="0002")
    rec = dict(name_label=name, name_description=description,
               power_state=state, is_a_template=template, is_default_template=default,
               resident_on=host or NULL, memory_overhead=20 * MiB, memory_target=memory,
               memory_static_max=memory, memory_dynamic_max=memory, memory_dynamic_min=memory // 2,
               memory_static_min=memory // 4, VCPUs_params={"weight": "256"}, VCPUs_max=vcpus,
               VCPUs_at_startup=vcpus, actions_after_softreboot="soft_reboot",
               actions_after_shutdown="destroy", actions_after_reboot="restart",
               actions_after_crash="restart", HVM_boot_policy="BIOS order" if hvm else "",
               HVM_boot_params={"order": "cdn", "firmware": firmware} if hvm else {},
               HVM_shadow_multiplier=1.0, PV_bootloader="pygrub" if dtype == "pv" else "",
               PV_args="console=hvc0 quiet" if dtype == "pv" else "",
               platform=platform,
               other_config=other, domid=(domid if domid is not None else (index + 1)) if running else -1,
               domarch="x64" if running else "", is_control_domain=is_control_domain,
               metrics=metrics, user_version=1, ha_restart_priority=ha_priority,
               ha_always_run=ha_priority == "restart", affinity=affinity, domain_type=dtype,
               tags=list(tags),
               bios_strings={"bios-vendor": "Xen", "system-manufacturer": "Xen"},
               has_vendor_device=False, hardware_platform_version=2, snapshot_time=EPOCH,
               blocked_operations={}, generation_id="0:0", start_delay=0,
               recommendations=recs if recs is not None else recommendations())
    vm = b.mk("VM", **rec)
    if running:
        addr = b.rec("host", host)["address"]
        for proto in ("rfb", "vt100"):
            cu = b.uuid()
            b.mk("console", uuid=cu, protocol=proto, VM=vm,
                 location="https://%s/console?uuid=%s" % (addr, cu))
    if guest_tools:
        ip = "10.0.%d.%d" % ((index // 250) % 250, index % 250 + 2)
        networks = {}
        for d in range(max(1, len(nets))):
            dip = ip if d == 0 else "10.%d.%d.%d" % (d, (index // 250) % 250, index % 250 + 2)
            networks.update({"%d/ip" % d: dip, "%d/ipv4/0" % d: dip,
                             "%d/ipv6/0" % d: "fe80::%x:%x" % (d, index + 1)})
        old_tools = index % 7 == 5
        gm = b.mk("VM_guest_metrics",
                  os_version=dict(guest_os or GUEST_OS[0]),
                  PV_drivers_version={"major": "7" if old_tools else "8", "minor": "3",
                                      "micro": "0", "build": "1"},
                  PV_drivers_up_to_date=not old_tools, PV_drivers_detected=True,
                  networks=networks,
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
                    other_config=dict(src["other_config"]), tags=list(src["tags"]),
                    blocked_operations=dict(src["blocked_operations"]),
                    metrics=b.mk("VM_metrics", install_time=DateTime.from_unix(t),
                                 start_time=EPOCH, last_updated=EPOCH))
    snap = b.mk("VM", **snap_rec)
    src["parent"] = snap  # the VM's newest snapshot; each snapshot's parent the one before
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

"""Where a VM may run (xapi's assert_can_boot_here, reduced): the host is live and
enabled, sees every SR holding the VM's disks, and has the memory. Pure functions over
the db; callers hold db.lock or accept a racy answer. Any thread."""
from .wire import XapiError

NULL = "OpaqueRef:NULL"


def host_live(db, host):
    """host_metrics.live (a host without metrics counts as live)."""
    hm = db.get("host", host)["metrics"]
    return db.get("host_metrics", hm)["live"] if db.exists("host_metrics", hm) else True


def host_free_memory(db, host):
    hm = db.get("host", host)["metrics"]
    return db.get("host_metrics", hm)["memory_free"] if db.exists("host_metrics", hm) else None


def sr_plugged_on(db, sr, host):
    """True if a PBD of sr on host is currently attached."""
    for pbd in db.get("SR", sr)["PBDs"]:
        if db.exists("PBD", pbd):
            p = db.get("PBD", pbd)
            if p["host"] == host and p["currently_attached"]:
                return True
    return False


def vm_disk_srs(db, vm, vdi_map=None):
    """SRs of the VM's disk VDIs (after an optional vdi → SR remapping), in VBD order."""
    srs = []
    for vbd in db.get("VM", vm)["VBDs"]:
        if not db.exists("VBD", vbd):
            continue
        b = db.get("VBD", vbd)
        if b["VDI"] == NULL or not db.exists("VDI", b["VDI"]):
            continue
        sr = (vdi_map or {}).get(b["VDI"]) or db.get("VDI", b["VDI"])["SR"]
        if sr not in srs:
            srs.append(sr)
    return srs


def footprint(db, vm):
    """Memory the VM needs on a host to run (dynamic max + overhead)."""
    rec = db.get("VM", vm)
    return rec["memory_dynamic_max"] + rec["memory_overhead"]


def boot_check(db, vm, host, vdi_map=None, memory=True):
    """The first reason the VM cannot run on host (an XapiError) or None."""
    h = db.get("host", host)
    if not host_live(db, host):
        return XapiError("HOST_OFFLINE", host)
    if not h["enabled"]:
        return XapiError("HOST_DISABLED", host)
    for sr in vm_disk_srs(db, vm, vdi_map):
        if db.exists("SR", sr) and not sr_plugged_on(db, sr, host):
            return XapiError("VM_REQUIRES_SR", vm, sr)
    if memory:
        free = host_free_memory(db, host)
        need = footprint(db, vm)
        if free is not None and free < need:
            return XapiError("HOST_NOT_ENOUGH_FREE_MEMORY", need, free)
    return None


def choose_host(db, vm, candidates, memory=True):
    """The first candidate the VM can run on; else the first candidate's error
    (xapi reports the affinity host's reason, or NO_HOSTS_AVAILABLE)."""
    first = None
    for h in candidates:
        err = boot_check(db, vm, h, memory=memory)
        if err is None:
            return h
        first = first or err
    raise first or XapiError("NO_HOSTS_AVAILABLE")

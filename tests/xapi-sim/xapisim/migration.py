"""VM and VDI migration (xapi's xapi_vm_migrate.ml, reduced): host.migrate_receive,
VM.assert_can_migrate / VM.migrate_send (intra-pool: live and storage migration; cross
pool: to another simulator whose migrate_receive token names it), VDI.pool_migrate.
Storage motion creates the disks anew on the destination SR (new VDI records, the
source ones destroyed, the VBDs re-pointed), as xapi's mirror does. Handlers run on
HTTP or Async worker threads."""
import xmlrpc.client

from . import coerce, placement
from .ctl import control
from .storage_ops import copy_vdi, sr_usage
from .vm_copy import CREATE_FIELDS, destroy_vm
from .vm_ops import Operation, move_resident, go_halted, refresh_allowed
from .wire import XapiError

NULL = "OpaqueRef:NULL"


def _disk_vbds(db, vm):
    out = []
    for vbd in db.get("VM", vm)["VBDs"]:
        if db.exists("VBD", vbd):
            b = db.get("VBD", vbd)
            if b["type"] == "Disk" and b["VDI"] != NULL and db.exists("VDI", b["VDI"]):
                out.append((vbd, b["VDI"]))
    return out


def _maps(db, vdi_map, vif_map):
    vdis = {coerce.to_str(k): coerce.to_str(v) for k, v in coerce.to_map_any(vdi_map or {}).items()}
    vifs = {coerce.to_str(k): coerce.to_str(v) for k, v in coerce.to_map_any(vif_map or {}).items()}
    for vdi, sr in vdis.items():
        db.get("VDI", vdi)
    return vdis, vifs


def check_intra(sim, vm, host, vdis, vifs):
    """assert_can_migrate within the pool: the first error or None."""
    db = sim.db
    with db.lock:
        for sr in vdis.values():
            db.get("SR", sr)
        if vifs:
            return XapiError("OPERATION_NOT_ALLOWED", "VIF mapping is not allowed for intra-pool "
                             "migration -all VIFs must be on the same network")
        running = db.get("VM", vm)["power_state"] in ("Running", "Paused")
        err = placement.boot_check(db, vm, host, vdi_map=vdis,
                                   memory=running and db.get("VM", vm)["resident_on"] != host)
        if err and not (err.code in ("HOST_OFFLINE", "HOST_DISABLED") and not running):
            return err
    return None


def move_disks(sim, vm, vdis, progress=None):
    """Storage motion: each VDI of the VM mapped to another SR gets a new VDI there (its
    snapshots follow); VBDs re-pointed; the old VDIs destroyed."""
    db = sim.db
    moves = [(vbd, vdi) for vbd, vdi in _disk_vbds(db, vm)
             if vdi in vdis and vdis[vdi] != db.get("VDI", vdi)["SR"]]
    for i, (vbd, vdi) in enumerate(moves):
        sr = vdis[vdi]
        with db.lock:
            old_sr = db.get("VDI", vdi)["SR"]
            new = copy_vdi(sim, vdi, "copy", sr)
            db.update("VDI", new, {"sm_config": dict(db.get("VDI", vdi)["sm_config"])})
            db.set("VBD", vbd, "VDI", new)
            for snap in list(db.get("VDI", vdi)["snapshots"]):
                if not db.exists("VDI", snap):
                    continue
                moved = copy_vdi(sim, snap, "copy", sr)
                db.update("VDI", moved, {"is_a_snapshot": True, "snapshot_of": new,
                                         "snapshot_time": db.get("VDI", snap)["snapshot_time"]})
                for sv in db.get("VDI", snap)["VBDs"]:
                    if db.exists("VBD", sv):
                        db.set("VBD", sv, "VDI", moved)
                sim.remove_disk_file(snap)
                db.destroy("VDI", snap)
            for other in db.get("VDI", vdi)["VBDs"]:
                if db.exists("VBD", other) and other != vbd:
                    db.set("VBD", other, "VDI", new)
            sim.remove_disk_file(vdi)
            db.destroy("VDI", vdi)
            sr_usage(db, old_sr)
        if progress:
            progress((i + 1) / (len(moves) + 1))


class Remote:
    """XML-RPC to the destination pool of a cross-pool migration."""

    def __init__(self, dest):
        self.url = dest.get("master", "")
        self.session = dest.get("session_id", "")
        try:
            self.proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        except (OSError, ValueError):
            raise XapiError("CANNOT_CONTACT_HOST", self.url)

    def call(self, method, *args):
        fn = self.proxy
        for part in method.split("."):
            fn = getattr(fn, part)
        try:
            a = fn(self.session, *args)
        except (OSError, xmlrpc.client.Error):
            raise XapiError("CANNOT_CONTACT_HOST", self.url)
        if a.get("Status") != "Success":
            d = a.get("ErrorDescription") or ["INTERNAL_ERROR"]
            raise XapiError(d[0], *d[1:])
        return a["Value"]


def check_cross(sim, vm, dest, vdis, vifs):
    """assert_can_migrate to another pool: every disk and VIF mapped, the destination
    host enabled, SRs and networks known there."""
    db = sim.db
    remote = Remote(dest)
    host = dest.get("host", "")
    if not remote.call("host.get_enabled", host):
        raise XapiError("HOST_DISABLED", host)
    with db.lock:
        rec = db.get("VM", vm)
        if rec["power_state"] == "Suspended":
            raise XapiError("VM_BAD_POWER_STATE", vm, "halted, running", "suspended")
        disks = _disk_vbds(db, vm)
        vif_list = [v for v in rec["VIFs"] if db.exists("VIF", v)]
    for _, vdi in disks:
        if vdi not in vdis:
            raise XapiError("VDI_NOT_IN_MAP", vdi)
        remote.call("SR.get_uuid", vdis[vdi])
    for vif in vif_list:
        if vif not in vifs:
            raise XapiError("VIF_NOT_IN_MAP", vif)
        remote.call("network.get_uuid", vifs[vif])
    return remote


def send_cross(sim, vm, dest, vdis, vifs, remote, progress=None):
    """Create the VM on the other pool (record, disks, VBDs, VIFs; started there if it
    was running), then remove it here with its disks. Returns the remote VM ref."""
    db = sim.db
    host = dest["host"]
    with db.lock:
        rec = db.get("VM", vm)
        running = rec["power_state"] in ("Running", "Paused")
        record = {k: v for k, v in rec.items() if k in CREATE_FIELDS and k not in ("affinity",)}
        disks = [(db.get("VBD", vbd), db.get("VDI", vdi)) for vbd, vdi in _disk_vbds(db, vm)]
        vif_recs = [db.get("VIF", v) for v in rec["VIFs"] if db.exists("VIF", v)]
        other_vbds = [db.get("VBD", b) for b in rec["VBDs"] if db.exists("VBD", b)
                      and db.get("VBD", b)["type"] == "CD"]
    record["other_config"] = dict(record.get("other_config", {}))
    new = remote.call("VM.create", _wire(record))
    for i, (vbd, vdi) in enumerate(disks):
        r = {"name_label": vdi["name_label"], "name_description": vdi["name_description"],
             "SR": vdis[_ref_of(db, "VDI", vdi)], "virtual_size": str(vdi["virtual_size"]),
             "type": vdi["type"], "sharable": vdi["sharable"], "read_only": vdi["read_only"],
             "other_config": vdi["other_config"], "sm_config": {}, "tags": vdi["tags"]}
        nv = remote.call("VDI.create", r)
        remote.call("VBD.create", {"VM": new, "VDI": nv, "userdevice": vbd["userdevice"],
                                   "bootable": vbd["bootable"], "mode": vbd["mode"], "type": "Disk",
                                   "unpluggable": vbd["unpluggable"], "empty": False,
                                   "other_config": vbd["other_config"]})
        if progress:
            progress((i + 1) / (len(disks) + 2))
    for cd in other_vbds:
        remote.call("VBD.create", {"VM": new, "VDI": NULL, "userdevice": cd["userdevice"],
                                   "bootable": cd["bootable"], "mode": "RO", "type": "CD",
                                   "unpluggable": True, "empty": True, "other_config": {}})
    for v in vif_recs:
        remote.call("VIF.create", {"VM": new, "network": vifs[_ref_of(db, "VIF", v)],
                                   "device": v["device"], "MAC": v["MAC"], "MTU": str(v["MTU"]),
                                   "other_config": v["other_config"]})
    if running:
        remote.call("VM.start_on", new, host, False, True)
    with db.lock:
        uuid = db.get("VM", vm)["uuid"]
        if db.get("VM", vm)["power_state"] != "Halted":
            go_halted(sim, vm)
        vdi_refs = [vdi for _, vdi in _disk_vbds(db, vm)]
        destroy_vm(sim, vm)
        for vdi in vdi_refs:
            if db.exists("VDI", vdi):
                sr = db.get("VDI", vdi)["SR"]
                sim.remove_disk_file(vdi)
                db.destroy("VDI", vdi)
                sr_usage(db, sr)
    # xapi imports the VM's metadata on the other side: the VM keeps its uuid
    try:
        control(remote.url.rstrip("/"), "set", **{"class": "VM", "ref": new, "field": "uuid", "value": uuid})
    except (RuntimeError, OSError):
        pass   # another xapi-sim without the control endpoint: a new uuid then
    return new


def _ref_of(db, cls, rec):
    return db.by_uuid(cls, rec["uuid"])


def _wire(v):
    """ints as strings (XML-RPC i4 is 32-bit), recursively."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return {k: _wire(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_wire(x) for x in v]
    if hasattr(v, "text"):
        return v.text
    return v


def register(sim):
    api, db = sim.api, sim.db
    add = api.add

    def migrate_receive(sim, s, host, network, options):
        host, network = coerce.to_str(host), coerce.to_str(network)
        db.get("host", host)
        with db.lock:
            db.get("network", network)
            pifs = [p for p in db.get("network", network)["PIFs"]
                    if db.exists("PIF", p) and db.get("PIF", p)["host"] == host]
            if not pifs:
                raise XapiError("HOST_CANNOT_ATTACH_NETWORK", host, network)
            if db.get("PIF", pifs[0])["ip_configuration_mode"] == "None":
                raise XapiError("PIF_HAS_NO_NETWORK_CONFIGURATION", pifs[0])
        url = sim.url.rstrip("/")
        return {"SM": url + "/services/SM?session_id=" + s.ref, "host": host,
                "xenops": url + "/services/xenops?session_id=" + s.ref,
                "session_id": s.ref, "master": url + "/"}
    add("host.migrate_receive", migrate_receive, 3, asyncable=True)

    def prepare(vm, dest, vdi_map, vif_map):
        vm = coerce.to_str(vm)
        db.get("VM", vm)
        dest = {coerce.to_str(k): coerce.to_str(v) for k, v in coerce.to_map_any(dest).items()}
        if "host" not in dest or "master" not in dest:
            raise XapiError("INTERNAL_ERROR", "migrate_send: bad destination token")
        vdis, vifs = _maps(db, vdi_map, vif_map)
        return vm, dest, vdis, vifs, db.exists("host", dest["host"])

    def assert_can_migrate(sim, s, vm, dest, live, vdi_map, vif_map, options, vgpu_map=None):
        vm, dest, vdis, vifs, intra = prepare(vm, dest, vdi_map, vif_map)
        with db.lock:
            rec = db.get("VM", vm)
            from .vm_checks import check
            err = check(vm, rec, "migrate_send")
            if err:
                raise err
        if intra:
            err = check_intra(sim, vm, dest["host"], vdis, vifs)
            if err:
                raise err
        else:
            check_cross(sim, vm, dest, vdis, vifs)
        return ""
    add("VM.assert_can_migrate", assert_can_migrate, 7, optional=1, asyncable=True)

    def migrate_send(sim, s, vm, dest, live, vdi_map, vif_map, options, vgpu_map=None):
        vm, dest, vdis, vifs, intra = prepare(vm, dest, vdi_map, vif_map)
        task = api.current_task()

        def progress(p):
            if task:
                sim.tasks.set_progress(task, p)
        with Operation(sim, vm, "migrate_send"):
            if intra:
                host = dest["host"]
                err = check_intra(sim, vm, host, vdis, vifs)
                if err:
                    raise err
                move_disks(sim, vm, vdis, progress)
                with db.lock:
                    if db.get("VM", vm)["power_state"] in ("Running", "Paused"):
                        move_resident(sim, vm, host)
                return vm
            remote = check_cross(sim, vm, dest, vdis, vifs)
            new = send_cross(sim, vm, dest, vdis, vifs, remote, progress)
        return new
    add("VM.migrate_send", migrate_send, 7, optional=1, asyncable=True)

    def vdi_pool_migrate(sim, s, vdi, sr, options):
        vdi, sr = coerce.to_str(vdi), coerce.to_str(sr)
        with db.lock:
            rec = db.get("VDI", vdi)
            db.get("SR", sr)
            if rec["type"] == "cbt_metadata":
                raise XapiError("VDI_INCOMPATIBLE_TYPE", vdi, "cbt_metadata")
            if rec["cbt_enabled"]:
                raise XapiError("VDI_CBT_ENABLED", vdi)
            vm = next((db.get("VBD", b)["VM"] for b in rec["VBDs"] if db.exists("VBD", b)
                       and db.get("VBD", b)["currently_attached"]
                       and db.exists("VM", db.get("VBD", b)["VM"])
                       and db.get("VM", db.get("VBD", b)["VM"])["power_state"] == "Running"), None)
            if vm is None:
                raise XapiError("VDI_NEEDS_VM_FOR_MIGRATE", vdi)
            if not placement.sr_plugged_on(db, sr, db.get("VM", vm)["resident_on"]):
                raise XapiError("VM_REQUIRES_SR", vm, sr)
        with Operation(sim, vm, "migrate_send"):
            with db.lock:
                vbd = next(b for b in db.get("VDI", vdi)["VBDs"] if db.exists("VBD", b)
                           and db.get("VBD", b)["VM"] == vm)
            move_disks(sim, vm, {vdi: sr})
            with db.lock:
                new = db.get("VBD", vbd)["VDI"]
                refresh_allowed(db, vm)
        return new
    add("VDI.pool_migrate", vdi_pool_migrate, 3, asyncable=True)

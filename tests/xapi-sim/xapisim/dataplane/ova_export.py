"""Builds ova.xml for a VM export (reference §8.2): the VM, its metrics, VBDs, VIFs,
networks, VDIs and SRs, with every ref rewritten to a Ref:<n> id or OpaqueRef:NULL.
Reads the database under its lock; no I/O."""

import itertools
import socket
import threading
import time

from . import ovaxml

NULL = "OpaqueRef:NULL"
XAPI_MAJOR, XAPI_MINOR = 23, 1
_ids = itertools.count(1000)  # process-wide id counter, like xapi's
_ids_lock = threading.Lock()


def _next_id():
    with _ids_lock:
        return "Ref:%d" % next(_ids)


def _rewrite(value, idmap):
    if isinstance(value, str):
        if value.startswith("OpaqueRef:"):
            return idmap.get(value, NULL)
        return value
    if isinstance(value, dict):
        return {_rewrite(k, idmap): _rewrite(v, idmap) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, idmap) for v in value]
    return value


def streamed(db, vbd_rec):
    """True when the VBD's disk goes into the archive (not CDs nor ISO SRs)."""
    vdi = vbd_rec["VDI"]
    if vbd_rec["type"] == "CD" or vdi == NULL or not db.exists("VDI", vdi):
        return False
    sr = db.get("VDI", vdi)["SR"]
    return not (db.exists("SR", sr) and db.get("SR", sr)["content_type"] == "iso")


def _collect(db, vm_ref):
    """[(class, ref)] of the exported objects, and the VDI refs whose data is streamed."""
    vm = db.get("VM", vm_ref)
    objects = [("VM", vm_ref)]
    for field, cls in (("metrics", "VM_metrics"), ("guest_metrics", "VM_guest_metrics")):
        if vm[field] != NULL and db.exists(cls, vm[field]):
            objects.append((cls, vm[field]))
    disks, srs, networks = [], [], []
    for vbd in vm["VBDs"]:
        rec = db.get("VBD", vbd)
        objects.append(("VBD", vbd))
        if rec["VDI"] != NULL and db.exists("VDI", rec["VDI"]):
            objects.append(("VDI", rec["VDI"]))
            sr = db.get("VDI", rec["VDI"])["SR"]
            if sr not in srs and db.exists("SR", sr):
                srs.append(sr)
            if streamed(db, rec):
                disks.append(rec["VDI"])
    for vif in vm["VIFs"]:
        objects.append(("VIF", vif))
        net = db.get("VIF", vif)["network"]
        if net not in networks and db.exists("network", net):
            networks.append(net)
    objects += [("SR", s) for s in srs] + [("network", n) for n in networks]
    return objects, disks


def _adjust_vm(rec, vbds, vifs, preserve_power_state):
    rec = dict(rec)
    if not (preserve_power_state and rec["power_state"] == "Suspended"):
        rec["power_state"] = "Halted"
    rec.update({"is_a_snapshot": False, "snapshot_of": NULL, "snapshots": [],
                "parent": NULL, "children": [], "current_operations": {},
                "allowed_operations": [], "consoles": [], "crash_dumps": [], "blobs": {},
                "VBDs": vbds, "VIFs": vifs, "resident_on": NULL, "domid": -1,
                "snapshot_time": ovaxml.DateText("19700101T00:00:00Z")})
    return rec


def build(db, vm_ref, preserve_power_state=False):
    """(ova.xml text, {disk id: VDI ref}) for exporting vm_ref."""
    with db.lock:
        objects, disks = _collect(db, vm_ref)
        idmap = {ref: _next_id() for _, ref in objects}
        entries = []
        for cls, ref in objects:
            rec = db.get(cls, ref)
            if cls == "VM":
                rec = _adjust_vm(rec, [r for c, r in objects if c == "VBD"],
                                 [r for c, r in objects if c == "VIF"], preserve_power_state)
            entries.append({"class": cls, "id": idmap[ref], "snapshot": _rewrite(rec, idmap)})
    version = {"hostname": socket.gethostname(), "date": time.strftime("%Y-%m-%d"),
               "product_version": "8.3.0", "product_brand": "XCP-ng", "build_number": "sim",
               "xapi_major": XAPI_MAJOR, "xapi_minor": XAPI_MINOR, "export_vsn": 2}
    text = ovaxml.dumps({"version": version, "objects": entries})
    return text, {idmap[v]: v for v in disks}

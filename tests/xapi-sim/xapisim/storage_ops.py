"""Storage and network messages: VDI create/destroy/resize/snapshot/clone/copy,
VBD and VIF create/destroy/plug/unplug, CD insert/eject, SR scan, network
create/destroy/purpose. Disk contents live in sparse files (Simulator.vdi_path)."""
import ipaddress
import os

from . import coerce
from .db import new_ref
from .wire import XapiError, DateTime, EPOCH

NULL = "OpaqueRef:NULL"
VDI_CREATE_FIELDS = {"name_label", "name_description", "SR", "virtual_size", "type", "sharable",
                     "read_only", "other_config", "xenstore_data", "sm_config", "tags"}
VDI_OPS = ["clone", "destroy", "resize", "snapshot", "copy", "generate_config", "mirror",
           "update", "forget", "data_destroy", "set_on_boot", "disable_cbt", "enable_cbt"]


def sparse_copy(src, dst, size):
    """Copy only the data extents of src (SEEK_DATA/SEEK_HOLE) into a sparse dst."""
    with open(dst, "wb") as out:
        out.truncate(size)
        if not os.path.exists(src):
            return
        with open(src, "rb") as f:
            fd = f.fileno()
            end = min(os.fstat(fd).st_size, size)
            pos = 0
            while pos < end:
                try:
                    pos = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:
                    break
                hole = min(os.lseek(fd, pos, os.SEEK_HOLE), end)
                f.seek(pos)
                out.seek(pos)
                left = hole - pos
                while left > 0:
                    chunk = f.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    out.write(chunk)
                    left -= len(chunk)
                pos = hole


def copy_vdi(sim, vdi, kind, sr=NULL):
    """kind: snapshot | checkpoint | clone | copy. Returns the new VDI ref."""
    db = sim.db
    with db.lock:
        src = db.get("VDI", vdi)
        rec = {k: v for k, v in src.items() if k not in (
            "uuid", "VBDs", "snapshots", "current_operations", "crash_dumps")}
        sm = dict(src["sm_config"])
        if kind in ("snapshot", "checkpoint"):
            rec.update(is_a_snapshot=True, snapshot_of=vdi, snapshot_time=DateTime.now(),
                       sm_config=sm)
        else:
            if kind == "clone":
                sm["vhd-parent"] = src["uuid"]
            else:
                sm.pop("vhd-parent", None)
            rec.update(is_a_snapshot=False, snapshot_of=NULL, snapshot_time=EPOCH,
                       sm_config=sm, SR=sr if sr not in (NULL, "") else src["SR"])
        rec["allowed_operations"] = list(VDI_OPS)
        new = db.create("VDI", rec)
        if kind in ("snapshot", "checkpoint"):
            db.set("VDI", vdi, "sm_config", dict(src["sm_config"], **{"vhd-parent": db.get("VDI", new)["uuid"]}))
        sr_usage(db, rec["SR"])
    sparse_copy(sim.vdi_path(vdi), sim.vdi_path(new), rec["virtual_size"])
    return new


def sr_usage(db, sr):
    if not db.exists("SR", sr):
        return
    total = sum(db.get("VDI", v)["virtual_size"] for v in db.get("SR", sr)["VDIs"] if db.exists("VDI", v))
    db.update("SR", sr, {"virtual_allocation": total, "physical_utilisation": total // 4})


def register(sim):
    add, db = sim.api.add, sim.db

    # ---------------------------------------------------------------- VDI
    def vdi_create(sim, s, record):
        r = coerce.to_map_any(record)
        fields = {k: v for k, v in r.items() if k in VDI_CREATE_FIELDS}
        sr = coerce.to_str(fields.get("SR", NULL))
        with db.lock:
            srrec = db.get("SR", sr)
            size = coerce.to_int(fields.get("virtual_size", 0))
            if size < 0:
                raise XapiError("INVALID_VALUE", "virtual_size", str(size))
            if srrec["content_type"] == "iso":
                raise XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
            fields.update(virtual_size=size, SR=sr, managed=True, allowed_operations=list(VDI_OPS),
                          type=fields.get("type") or "user", on_boot="persist",
                          sm_config=coerce.to_map(fields.get("sm_config", {})),
                          other_config=coerce.to_map(fields.get("other_config", {})))
            vdi = db.create("VDI", fields)
            sim.create_disk_file(vdi, size)
            sr_usage(db, sr)
        return vdi
    add("VDI.create", vdi_create, 1, asyncable=True)

    def vdi_destroy(sim, s, vdi):
        with db.lock:
            rec = db.get("VDI", vdi)
            for vbd in rec["VBDs"]:
                if db.exists("VBD", vbd):
                    vm = db.get("VBD", vbd)["VM"]
                    if db.exists("VM", vm) and db.get("VM", vm)["power_state"] != "Halted" \
                            and db.get("VBD", vbd)["currently_attached"]:
                        raise XapiError("VDI_IN_USE", vdi, "destroy")
            for vbd in rec["VBDs"]:
                if db.exists("VBD", vbd):
                    db.destroy("VBD", vbd)
            path = sim.vdi_path(vdi)
            db.destroy("VDI", vdi)
            sr_usage(db, rec["SR"])
        try:
            os.unlink(path)
        except OSError:
            pass
        return ""
    add("VDI.destroy", vdi_destroy, 1, asyncable=True)

    def vdi_resize(sim, s, vdi, size):
        size = coerce.to_int(size)
        with db.lock:
            rec = db.get("VDI", vdi)
            if size < rec["virtual_size"]:
                raise XapiError("SR_OPERATION_NOT_SUPPORTED", rec["SR"])
            db.set("VDI", vdi, "virtual_size", size)
            with open(sim.vdi_path(vdi), "r+b") as f:
                f.truncate(size)
            sr_usage(db, rec["SR"])
        return ""
    add("VDI.resize", vdi_resize, 2, asyncable=True)
    add("VDI.resize_online", vdi_resize, 2, asyncable=True)

    def vdi_clone_fn(kind):
        def fn(sim, s, vdi, driver_params=None):
            return copy_vdi(sim, coerce.to_str(vdi), kind)
        return fn
    add("VDI.snapshot", vdi_clone_fn("snapshot"), 2, optional=1, asyncable=True)
    add("VDI.clone", vdi_clone_fn("clone"), 2, optional=1, asyncable=True)

    def vdi_copy(sim, s, vdi, sr, base_vdi=NULL, into_vdi=NULL):
        sr = coerce.to_str(sr)
        db.get("SR", sr)
        return copy_vdi(sim, coerce.to_str(vdi), "copy", sr)
    add("VDI.copy", vdi_copy, 4, optional=2, asyncable=True)

    # ---------------------------------------------------------------- VBD
    def vbd_create(sim, s, record):
        r = coerce.to_map_any(record)
        with db.lock:
            vm = coerce.to_str(r.get("VM", NULL))
            vmrec = db.get("VM", vm)
            vdi = coerce.to_str(r.get("VDI", NULL)) or NULL
            empty = coerce.to_bool(r.get("empty", False))
            if vdi != NULL:
                db.get("VDI", vdi)
            dev = coerce.to_str(r.get("userdevice", "autodetect"))
            if dev == "autodetect":
                used = {db.get("VBD", b)["userdevice"] for b in vmrec["VBDs"] if db.exists("VBD", b)}
                dev = next(str(i) for i in range(64) if str(i) not in used and i != 3) \
                    if r.get("type", "Disk") != "CD" else "3"
            vbd = db.create("VBD", {
                "VM": vm, "VDI": vdi, "userdevice": dev, "bootable": coerce.to_bool(r.get("bootable", False)),
                "mode": coerce.to_str(r.get("mode", "RW")), "type": coerce.to_str(r.get("type", "Disk")),
                "unpluggable": coerce.to_bool(r.get("unpluggable", True)), "empty": empty,
                "other_config": coerce.to_map(r.get("other_config", {})),
                "qos_algorithm_type": coerce.to_str(r.get("qos_algorithm_type", "")),
                "qos_algorithm_params": coerce.to_map(r.get("qos_algorithm_params", {})),
                "allowed_operations": ["attach", "plug"] if vmrec["power_state"] == "Running" else ["attach"]})
        return vbd
    add("VBD.create", vbd_create, 1, asyncable=True)

    def plug(cls, attached):
        def fn(sim, s, ref):
            with db.lock:
                rec = db.get(cls, ref)
                vm = db.get("VM", rec["VM"])
                if vm["power_state"] != "Running":
                    raise XapiError("VM_BAD_POWER_STATE", rec["VM"], "running", vm["power_state"].lower())
                if rec["currently_attached"] == attached:
                    raise XapiError("DEVICE_ALREADY_ATTACHED" if attached else "DEVICE_ALREADY_DETACHED", ref)
                fields = {"currently_attached": attached}
                if cls == "VBD":
                    fields["device"] = "xvd" + "abcdefghijklmnop"[int(rec["userdevice"] or 0) % 16] if attached else rec["device"]
                db.update(cls, ref, fields)
            return ""
        return fn

    def destroy(cls):
        def fn(sim, s, ref):
            with db.lock:
                rec = db.get(cls, ref)
                if rec["currently_attached"] and db.exists("VM", rec["VM"]) and \
                        db.get("VM", rec["VM"])["power_state"] == "Running":
                    raise XapiError("DEVICE_ALREADY_ATTACHED", ref)
                db.destroy(cls, ref)
            return ""
        return fn
    for cls in ("VBD", "VIF"):
        add(cls + ".plug", plug(cls, True), 1, asyncable=True)
        add(cls + ".unplug", plug(cls, False), 1, asyncable=True)
        add(cls + ".unplug_force", plug(cls, False), 1, asyncable=True)
        add(cls + ".destroy", destroy(cls), 1, asyncable=True)

    def insert(sim, s, vbd, vdi):
        with db.lock:
            rec = db.get("VBD", vbd)
            db.get("VDI", vdi)
            if not rec["empty"]:
                raise XapiError("VBD_NOT_EMPTY", vbd)
            db.update("VBD", vbd, {"VDI": vdi, "empty": False})
        return ""
    add("VBD.insert", insert, 2, asyncable=True)

    def eject(sim, s, vbd):
        with db.lock:
            rec = db.get("VBD", vbd)
            if rec["empty"]:
                raise XapiError("VBD_IS_EMPTY", vbd)
            db.update("VBD", vbd, {"VDI": NULL, "empty": True})
        return ""
    add("VBD.eject", eject, 1, asyncable=True)

    # ---------------------------------------------------------------- VIF
    def vif_create(sim, s, record):
        r = coerce.to_map_any(record)
        with db.lock:
            vm = coerce.to_str(r.get("VM", NULL))
            db.get("VM", vm)
            net = coerce.to_str(r.get("network", NULL))
            db.get("network", net)
            mac = coerce.to_str(r.get("MAC", ""))
            auto = mac == ""
            if auto:
                u = new_ref()[-10:]
                mac = "02:%s:%s:%s:%s:%s" % (u[0:2], u[2:4], u[4:6], u[6:8], u[8:10])
            vif = db.create("VIF", {
                "VM": vm, "network": net, "device": coerce.to_str(r.get("device", "0")),
                "MAC": mac, "MAC_autogenerated": auto, "MTU": coerce.to_int(r.get("MTU", 1500)),
                "other_config": coerce.to_map(r.get("other_config", {})),
                "qos_algorithm_type": coerce.to_str(r.get("qos_algorithm_type", "")),
                "qos_algorithm_params": coerce.to_map(r.get("qos_algorithm_params", {})),
                "locking_mode": coerce.to_str(r.get("locking_mode", "network_default")),
                "ipv4_allowed": r.get("ipv4_allowed", []), "ipv6_allowed": r.get("ipv6_allowed", []),
                "ipv4_configuration_mode": "None", "ipv6_configuration_mode": "None",
                "allowed_operations": ["attach"]})
        return vif
    add("VIF.create", vif_create, 1, asyncable=True)

    # xapi_vif.set_ipv4_allowed / set_ipv6_allowed: the list made a set (Listext.setify:
    # the last of each duplicate kept), each an address or a CIDR of the family, else
    # INVALID_IP_ADDRESS_SPECIFIED [field] and nothing changed; the locking mode is untouched.
    def allowed_setter(field, family):
        def fn(sim, s, vif, value):
            items = [coerce.to_str(a) for a in coerce.to_list(value)]
            items = [a for i, a in enumerate(items) if a not in items[i + 1:]]
            for a in items:
                try:
                    version = ipaddress.ip_network(a, strict=False).version
                except ValueError:
                    version = None
                if version != family:
                    raise XapiError("INVALID_IP_ADDRESS_SPECIFIED", field)
            with db.lock:
                db.get("VIF", vif)
                db.update("VIF", vif, {field: items})
            return ""
        return fn
    add("VIF.set_ipv4_allowed", allowed_setter("ipv4_allowed", 4), 2, asyncable=True)
    add("VIF.set_ipv6_allowed", allowed_setter("ipv6_allowed", 6), 2, asyncable=True)

    # ---------------------------------------------------------------- SR / network
    add("SR.scan", lambda sim, s, sr: (db.get("SR", sr), "")[1], 1, asyncable=True)

    def net_create(sim, s, record):
        r = coerce.to_map_any(record)
        return db.create("network", {
            "name_label": coerce.to_str(r.get("name_label", "")),
            "name_description": coerce.to_str(r.get("name_description", "")),
            "MTU": coerce.to_int(r.get("MTU", 1500)), "other_config": coerce.to_map(r.get("other_config", {})),
            "bridge": "xapi%d" % (len(db.refs("network")) + 10), "managed": True,
            "default_locking_mode": "unlocked", "tags": r.get("tags", [])})
    add("network.create", net_create, 1, asyncable=True)

    def net_destroy(sim, s, net):
        with db.lock:
            rec = db.get("network", net)
            if rec["VIFs"] or rec["PIFs"]:
                raise XapiError("NETWORK_CONTAINS_VIF" if rec["VIFs"] else "NETWORK_CONTAINS_PIF",
                                *(rec["VIFs"] or rec["PIFs"]))
            db.destroy("network", net)
        return ""
    add("network.destroy", net_destroy, 1, asyncable=True)

    def purpose(adding):
        def fn(sim, s, net, value):
            value = coerce.to_str(value)
            if value not in ("nbd", "insecure_nbd"):
                raise XapiError("INVALID_VALUE", "purpose", value)
            (db.set_add if adding else db.set_remove)("network", net, "purpose", value)
            return ""
        return fn
    add("network.add_purpose", purpose(True), 2, asyncable=True)
    add("network.remove_purpose", purpose(False), 2, asyncable=True)

"""SR and PBD administration (xapi's xapi_pbd.ml / xapi_sr.ml, reduced): PBD.plug /
unplug with their checks, SR.scan (needs an attached PBD), SR.forget (all PBDs
unplugged; the SR, its PBDs and VDIs leave the database, disks stay on "storage"),
SR.create (xapi_sr.ml create: a known SM driver, the backend's device_config checks as
SR_BACKEND_FAILURE_<n>, PBDs on every host when shared else on the given one, plugged),
SR.destroy (valid_operations' SR_HAS_PBD / SR_NO_PBDS / SR_NOT_EMPTY, indestructible; the
SR, its PBDs and VDIs leave the database), and the `trim` plugin behind XO's reclaim_space. Handlers run on HTTP or Async threads."""
import time

from . import coerce
from .wire import XapiError

NULL = "OpaqueRef:NULL"
TRIM_SR_TYPES = ("lvm", "lvmoiscsi", "lvmohba", "lvmofcoe")


def refresh_sr(db, sr):
    """SR.allowed_operations: plug/unplug follow the PBDs, scan needs one attached."""
    rec = db.get("SR", sr)
    attached = any(db.exists("PBD", p) and db.get("PBD", p)["currently_attached"] for p in rec["PBDs"])
    ops = [op for op in rec["allowed_operations"] if op not in ("scan",)]
    if attached:
        ops.append("scan")
    if sorted(ops) != sorted(rec["allowed_operations"]):
        db.set("SR", sr, "allowed_operations", ops)


def active_vdis(db, pbd):
    """VDIs of the PBD's SR attached to a running VM on the PBD's host."""
    rec = db.get("PBD", pbd)
    out = []
    for vdi in db.get("SR", rec["SR"])["VDIs"]:
        if not db.exists("VDI", vdi):
            continue
        for vbd in db.get("VDI", vdi)["VBDs"]:
            if not db.exists("VBD", vbd):
                continue
            b = db.get("VBD", vbd)
            if b["currently_attached"] and db.exists("VM", b["VM"]) \
                    and db.get("VM", b["VM"])["resident_on"] == rec["host"] \
                    and db.get("VM", b["VM"])["power_state"] != "Halted":
                out.append(vdi)
                break
    return out


# The device_config keys each backend's load() insists on, in its order, with the SM error
# code it raises (sm's XE_SR_ERRORCODES.xml): xapi answers SR_BACKEND_FAILURE_<code>.
BACKEND_REQUIRED = {
    "nfs": (("server", 102, "The request is missing the server parameter"),
            ("serverpath", 101, "The request is missing the serverpath parameter")),
    "lvm": (("device", 90, "The request is missing the device parameter"),),
    "ext": (("device", 90, "The request is missing the device parameter"),),
    "iso": (("location", 220, "'Location' parameter must be specified in Device Configuration"),),
    "lvmoiscsi": (("target", 95, "The request is missing the target parameter"),
                  ("targetIQN", 96, "The request is missing or has an incorrect target IQN parameter"),
                  ("SCSIid", 107, "The SCSIid parameter is missing or incorrect")),
}


def register(sim):
    add, db = sim.api.add, sim.db

    def pause():
        time.sleep(sim.config.op_delay / 2)

    def plug(sim, s, pbd):
        pbd = coerce.to_str(pbd)
        with db.lock:
            rec = db.get("PBD", pbd)
            if rec["currently_attached"]:
                return ""
            sr = db.get("SR", rec["SR"])
            if not sr["shared"]:
                for other in sr["PBDs"]:
                    if other != pbd and db.exists("PBD", other) and db.get("PBD", other)["currently_attached"]:
                        raise XapiError("SR_NOT_SHARABLE", rec["SR"], db.get("PBD", other)["host"])
        pause()
        with db.lock:
            db.set("PBD", pbd, "currently_attached", True)
            refresh_sr(db, rec["SR"])
        return ""
    add("PBD.plug", plug, 1, asyncable=True)

    def unplug(sim, s, pbd):
        pbd = coerce.to_str(pbd)
        with db.lock:
            rec = db.get("PBD", pbd)
            if not rec["currently_attached"]:
                return ""
            if db.get("pool", sim.pool_ref)["ha_enabled"] and \
                    any(db.exists("VDI", v) and db.get("VDI", v)["SR"] == rec["SR"]
                        for v in db.get("pool", sim.pool_ref)["ha_statefiles"]):
                raise XapiError("HA_IS_ENABLED")
            busy = [v for v in active_vdis(db, pbd) if db.get("VDI", v)["type"] != "metadata"]
            if busy:
                raise XapiError("VDI_IN_USE", *busy)
        pause()
        with db.lock:
            db.set("PBD", pbd, "currently_attached", False)
            refresh_sr(db, rec["SR"])
        return ""
    add("PBD.unplug", unplug, 1, asyncable=True)

    def scan(sim, s, sr):
        sr = coerce.to_str(sr)
        with db.lock:
            rec = db.get("SR", sr)
            if not any(db.exists("PBD", p) and db.get("PBD", p)["currently_attached"] for p in rec["PBDs"]):
                raise XapiError("SR_NO_PBDS", sr)
        pause()
        with db.lock:
            if db.exists("SR", sr):
                db.touch("SR", sr)
        return ""
    add("SR.scan", scan, 1, asyncable=True)

    def forget(sim, s, sr):
        sr = coerce.to_str(sr)
        with db.lock:
            rec = db.get("SR", sr)
            if any(db.exists("PBD", p) and db.get("PBD", p)["currently_attached"] for p in rec["PBDs"]):
                raise XapiError("SR_HAS_PBD", sr)
            if rec["other_config"].get("indestructible") == "true":
                raise XapiError("SR_INDESTRUCTIBLE", sr)
            for vdi in rec["VDIs"]:
                if db.exists("VDI", vdi):
                    for vbd in db.get("VDI", vdi)["VBDs"]:
                        if db.exists("VBD", vbd):
                            db.destroy("VBD", vbd)
                    db.destroy("VDI", vdi)
            for pbd in rec["PBDs"]:
                if db.exists("PBD", pbd):
                    db.destroy("PBD", pbd)
            db.destroy("SR", sr)
        return ""
    add("SR.forget", forget, 1, asyncable=True)

    def create(sim, s, host, device_config, physical_size, name_label, name_description, sr_type,
               content_type, shared, sm_config):
        host, sr_type = coerce.to_str(host), coerce.to_str(sr_type).lower()
        device_config = coerce.to_map(device_config)
        sm_config = coerce.to_map(sm_config)
        shared = coerce.to_bool(shared)
        with db.lock:
            db.get("host", host)  # HANDLE_INVALID
            if not any(db.get("SM", m)["type"] == sr_type for m in db.refs("SM")):
                raise XapiError("SR_UNKNOWN_DRIVER", sr_type)
        for key, code, text in BACKEND_REQUIRED.get(sr_type, ()):
            if not device_config.get(key):
                raise XapiError("SR_BACKEND_FAILURE_%d" % code, "", text, "")
        pause()
        with db.lock:
            size = coerce.to_int(physical_size)
            sr = db.create("SR", {
                "name_label": coerce.to_str(name_label), "name_description": coerce.to_str(name_description),
                "type": sr_type, "content_type": coerce.to_str(content_type), "shared": shared,
                "sm_config": sm_config, "physical_size": size if size > 0 else 100 * 1024 ** 3,
                "allowed_operations": ["vdi_create", "vdi_destroy", "vdi_snapshot", "vdi_clone",
                                       "vdi_resize", "scan", "destroy", "forget", "plug", "unplug"]})
            hosts = db.refs("host") if shared else [host]
            for h in hosts:
                db.create("PBD", {"host": h, "SR": sr, "device_config": dict(device_config),
                                  "currently_attached": True})
            refresh_sr(db, sr)
        return sr
    add("SR.create", create, 9, asyncable=True)

    def destroy(sim, s, sr):
        sr = coerce.to_str(sr)
        with db.lock:
            rec = db.get("SR", sr)
            pbds = [p for p in rec["PBDs"] if db.exists("PBD", p)]
            if any(db.get("PBD", p)["currently_attached"] for p in pbds):
                raise XapiError("SR_HAS_PBD", sr)
            if not pbds:
                raise XapiError("SR_NO_PBDS", sr)
            if any(db.exists("VDI", v) and db.get("VDI", v)["managed"] for v in rec["VDIs"]):
                raise XapiError("SR_NOT_EMPTY")
            if rec["other_config"].get("indestructible") == "true":
                raise XapiError("SR_INDESTRUCTIBLE", sr)
        pause()
        with db.lock:
            for pbd in pbds:
                if db.exists("PBD", pbd):
                    db.destroy("PBD", pbd)
            for vdi in db.get("SR", sr)["VDIs"]:
                if db.exists("VDI", vdi):
                    db.destroy("VDI", vdi)
            db.destroy("SR", sr)
        return ""
    add("SR.destroy", destroy, 1, asyncable=True)

    def trim(sim, host, fn, args):
        """trim.do_trim {sr_uuid}: "True" on LVM-based SRs, the plugin's error document
        otherwise (XO parses errcode / errmsg out of it)."""
        if fn != "do_trim":
            raise XapiError("UNKNOWN_XENAPI_PLUGIN_FUNCTION", fn)
        uuid = args.get("sr_uuid", "")
        sr = db.by_uuid("SR", uuid)
        if db.get("SR", sr)["type"] in TRIM_SR_TYPES:
            pause()
            return "True"
        return ('<?xml version="1.0" ?><trim_response><key_value_pair><key>errcode</key>'
                '<value>UnsupportedSRForTrim</value></key_value_pair><key_value_pair>'
                '<key>errmsg</key><value>Trim on [%s] not supported</value></key_value_pair>'
                '</trim_response>' % uuid)
    sim.plugins["trim"] = trim

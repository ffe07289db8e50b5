"""SR and PBD administration (xapi's xapi_pbd.ml / xapi_sr.ml, reduced): PBD.plug /
unplug with their checks, SR.scan (needs an attached PBD), SR.forget (all PBDs
unplugged; the SR, its PBDs and VDIs leave the database, disks stay on "storage"),
and the `trim` plugin behind XO's reclaim_space. Handlers run on HTTP or Async threads."""
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

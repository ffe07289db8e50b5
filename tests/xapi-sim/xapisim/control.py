"""Control endpoint (/_sim/<command>, JSON in and out; documented in ../README.md):
faults, restart, and changes made "as if another client did". Runs on HTTP threads."""
import json

from . import schema
from .faults import Rule
from .methods import create_message
from .vm_ops import go_running, go_halted, go_suspended, destroy_vm, refresh_allowed, _guest_agent_up
from .wire import XapiError, DateTime

NULL = schema.NULL


def _json_body(req):
    n = int(req.headers.get("Content-Length") or 0)
    raw = req.rfile.read(n) if n else b""
    return json.loads(raw) if raw.strip() else {}


def _reply(req, status, obj):
    req.send_raw(status, json.dumps(obj), "application/json")


def _resolve(sim, cls, arg):
    """ref or uuid → ref."""
    if arg.startswith("OpaqueRef:"):
        sim.db.get(cls, arg)
        return arg
    return sim.db.by_uuid(cls, arg)


def _value(field, v):
    if field.kind == "d" and isinstance(v, str):
        return DateTime(v)
    if field.kind == "f":
        return float(v)
    return v


def handle(req, path):
    sim = req.sim
    cmd = path[len("/_sim/"):].strip("/")
    try:
        body = _json_body(req) if req.command == "POST" else {}
        fn = COMMANDS.get(cmd)
        if fn is None:
            return _reply(req, 404, {"error": "unknown command " + cmd})
        return _reply(req, 200, {"result": fn(sim, body, req)})
    except XapiError as e:
        return _reply(req, 400, {"error": e.description()})
    except (ValueError, KeyError, TypeError) as e:
        return _reply(req, 400, {"error": ["BAD_REQUEST", repr(e)]})


def info(sim, b, req):
    db = sim.db
    return {"url": sim.url, "user": sim.config.user, "password": sim.config.password,
            "state_dir": sim.state_dir, "pool": sim.pool_ref, "master": sim.master_ref,
            "hosts": db.refs("host"), "counts": {c: db.count(c) for c in schema.CLASSES},
            "token": db.token(), "requests": dict(sim.stats)}


def fail(sim, b, req):
    sim.faults.add(Rule(b["method"], int(b.get("count", 1)), error=b.get("error") or ["INTERNAL_ERROR", "injected"]))
    return ""


def delay(sim, b, req):
    sim.faults.add(Rule(b["method"], int(b.get("count", 1)), seconds=float(b["seconds"]), action="delay"))
    return ""


def drop(sim, b, req):
    sim.faults.add(Rule(b["method"], int(b.get("count", 1)), action="drop"))
    return ""


def hang(sim, b, req):
    sim.faults.add(Rule(b["method"], int(b.get("count", 1)), action="hang"))
    return ""


def release(sim, b, req):
    return sim.faults.release(b.get("method"))


def clear(sim, b, req):
    sim.faults.clear()
    sim.booting_until = 0
    return ""


def restart(sim, b, req):
    refuse = float(b.get("refuse_seconds", 0))
    booting = float(b.get("booting_seconds", 1.0))
    sim.restart(refuse + booting)
    if refuse > 0 and sim.front is not None:
        sim.front.refuse_for(refuse, keep=req.connection)  # this answer still goes out
    return ""


def set_field(sim, b, req):
    cls = b["class"]
    ref = _resolve(sim, cls, b["ref"])
    f = schema.CLASSES[cls].by_name[b["field"]]
    sim.db.set(cls, ref, f.name, _value(f, b["value"]))
    return ref


def rename(sim, b, req):
    cls = b.get("class", "VM")
    ref = _resolve(sim, cls, b["ref"])
    sim.db.set(cls, ref, "name_label", b["name"])
    return ref


def power(sim, b, req):
    """Force a VM's power state with the side effects of the real transition."""
    db = sim.db
    vm = _resolve(sim, "VM", b["ref"])
    state = b["state"]
    with db.lock:
        cur = db.get("VM", vm)["power_state"]
        if state == cur:
            return vm
        if state == "Halted":
            go_halted(sim, vm)
        elif state in ("Running", "Paused"):
            if cur in ("Halted", "Suspended"):
                if cur == "Suspended":
                    go_halted(sim, vm)
                go_running(sim, vm, b.get("host") or sim.master_ref, state == "Paused")
            else:
                db.set("VM", vm, "power_state", state)
        elif state == "Suspended":
            if cur == "Halted":
                go_running(sim, vm, b.get("host") or sim.master_ref, False)
            go_suspended(sim, vm)
        else:
            raise ValueError("bad power state " + state)
        refresh_allowed(db, vm)
    return vm


def add_vm(sim, b, req):
    db = sim.db
    with db.lock:
        m = db.create("VM_metrics", {"install_time": DateTime.now()})
        vm = db.create("VM", {
            "name_label": b.get("name", "new VM"), "power_state": "Halted", "domid": -1,
            "metrics": m, "memory_static_max": 1 << 30, "memory_dynamic_max": 1 << 30,
            "memory_dynamic_min": 1 << 29, "memory_static_min": 1 << 28, "VCPUs_max": 1,
            "VCPUs_at_startup": 1, "HVM_boot_policy": "BIOS order", "domain_type": "hvm",
            "other_config": {"mac_seed": vm_seed()}, "actions_after_shutdown": "destroy",
            "actions_after_reboot": "restart", "actions_after_crash": "restart",
            "HVM_shadow_multiplier": 1.0, "user_version": 1})
        refresh_allowed(db, vm)
    if b.get("power_state", "Halted") != "Halted":
        power(sim, {"ref": vm, "state": b["power_state"]}, req)
    return vm


def vm_seed():
    from .db import new_uuid
    return new_uuid()


def remove_vm(sim, b, req):
    vm = _resolve(sim, "VM", b["ref"])
    with sim.db.lock:
        if sim.db.get("VM", vm)["power_state"] != "Halted":
            go_halted(sim, vm)
        destroy_vm(sim, vm)
    return vm


def guest_metrics(sim, b, req):
    db = sim.db
    vm = _resolve(sim, "VM", b["ref"])
    with db.lock:
        gm = db.get("VM", vm)["guest_metrics"]
        if gm == NULL or not db.exists("VM_guest_metrics", gm):
            _guest_agent_up(sim, vm)
            gm = db.get("VM", vm)["guest_metrics"]
            if gm == NULL:
                raise XapiError("VM_BAD_POWER_STATE", vm, "running", db.get("VM", vm)["power_state"].lower())
        fields = {k: b[k] for k in ("networks", "os_version", "PV_drivers_version", "other") if k in b}
        fields["last_updated"] = DateTime.now()
        db.update("VM_guest_metrics", gm, fields)
        refresh_allowed(db, vm)
    return gm


def message(sim, b, req):
    return create_message(sim, b.get("name", "ALARM"), int(b.get("priority", 3)),
                          b.get("cls", "Pool"), b.get("obj_uuid", ""), b.get("body", ""))


def time_travel(sim, b, req):
    """Move the simulated clock forward (session expiry after 24 h idle, task GC after
    65 min); the GC runs on the next task creation."""
    sim.clock_offset += float(b["seconds"])
    return sim.clock_offset


COMMANDS = {"time_travel": time_travel, "info": info, "fail": fail, "delay": delay, "drop": drop, "hang": hang, "release": release, "clear": clear,
            "restart": restart, "set": set_field, "rename": rename, "power": power,
            "add_vm": add_vm, "remove_vm": remove_vm, "guest_metrics": guest_metrics,
            "message": message}

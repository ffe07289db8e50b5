"""Host and pool operations (xapi's xapi_host.ml, xapi_host_helpers.ml, xapi_pool.ml,
reduced): enable/disable, evacuate with its plan, reboot/shutdown (host disabled,
no guest running, the host goes down and, for a reboot, comes back: enabled, new
agent_start_time, PBDs plugged), power_on, restart_agent, destroy (forget), pool.eject,
management reconfiguration, PIF.scan, pool.disable_ha; host allowed_operations /
current_operations. Handlers run on HTTP or Async worker threads."""
import threading
import time

from . import coerce, placement
from .db import new_ref
from .vm_ops import Operation, move_resident
from .wire import XapiError

NULL = "OpaqueRef:NULL"
HOST_OPS = ["provision", "evacuate", "shutdown", "reboot", "power_on", "vm_start",
            "vm_resume", "vm_migrate", "apply_updates", "enable"]
CREATING = {"provision", "vm_resume", "vm_migrate"}
REMOVING = {"evacuate", "reboot", "shutdown"}


def host_check(db, ref, op):
    """xapi_host_helpers.valid_operations for one op: an XapiError or None."""
    rec = db.get("host", ref)
    cur = list(rec["current_operations"].items())
    if op != "power_on":
        for task, other in cur:
            if (op in CREATING and other in REMOVING) or (op in REMOVING and other in CREATING):
                return XapiError("OTHER_OPERATION_IN_PROGRESS", "host", ref, other, task)
    for busy, blocks in (("reboot", ("shutdown", "apply_updates")),
                         ("shutdown", ("reboot", "apply_updates")),
                         ("apply_updates", ("reboot", "shutdown", "enable"))):
        for task, other in cur:
            if other == busy and op in blocks:
                return XapiError("OTHER_OPERATION_IN_PROGRESS", "host", ref, busy, task)
    if rec["enabled"] and op in ("reboot", "shutdown", "apply_updates"):
        return XapiError("HOST_NOT_DISABLED")
    if op == "power_on":
        if placement.host_live(db, ref):
            return XapiError("HOST_IS_LIVE", ref)
        if rec["power_on_mode"] == "":
            return XapiError("HOST_POWER_ON_MODE_DISABLED")
    return None


def refresh_host(db, ref):
    with db.lock:
        if not db.exists("host", ref):
            return
        ops = [op for op in HOST_OPS if host_check(db, ref, op) is None]
        if ops != db.get("host", ref)["allowed_operations"]:
            db.set("host", ref, "allowed_operations", ops)


class HostOperation:
    """Check, mark the host's current_operations for the call, unmark at the end
    (keep=True: the caller unmarks later, e.g. when a rebooting host is back)."""

    def __init__(self, sim, host, op, keep=False):
        self.sim, self.host, self.op, self.keep = sim, host, op, keep
        self.token = sim.api.current_task() or ("OpaqueRef:" + new_ref()[10:])

    def __enter__(self):
        db = self.sim.db
        with db.lock:
            err = host_check(db, self.host, self.op)
            if err:
                raise err
            ops = dict(db.get("host", self.host)["current_operations"])
            ops[self.token] = self.op
            db.set("host", self.host, "current_operations", ops)
            refresh_host(db, self.host)
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None or not self.keep:
            self.done()
        return False

    def done(self):
        db = self.sim.db
        with db.lock:
            if db.exists("host", self.host):
                ops = dict(db.get("host", self.host)["current_operations"])
                ops.pop(self.token, None)
                db.set("host", self.host, "current_operations", ops)
                refresh_host(db, self.host)


def guests_on(db, host):
    """Non-control-domain VMs resident on host, Running or Paused."""
    return [vm for vm in db.get("host", host)["resident_VMs"]
            if db.exists("VM", vm) and not db.get("VM", vm)["is_control_domain"]
            and db.get("VM", vm)["power_state"] in ("Running", "Paused")]


def evacuation_plan(sim, host):
    """vm → target host, or vm → XapiError (xapi's compute_evacuation_plan_no_wlb:
    each VM goes to the first other live, enabled host that sees its SRs and has the
    memory, counting the VMs already planned)."""
    db = sim.db
    with db.lock:
        others = [h for h in sorted(db.refs("host"), key=lambda h: db.get("host", h)["address"])
                  if h != host]
        free = {h: placement.host_free_memory(db, h) for h in others}
        plan = {}
        for vm in guests_on(db, host):
            if db.get("VM", vm)["power_state"] == "Paused" or "pool_migrate" in db.get("VM", vm)["blocked_operations"]:
                plan[vm] = XapiError("VM_BAD_POWER_STATE", vm, "running", "paused") \
                    if db.get("VM", vm)["power_state"] == "Paused" else \
                    XapiError("OPERATION_BLOCKED", vm, db.get("VM", vm)["blocked_operations"]["pool_migrate"])
                continue
            need = placement.footprint(db, vm)
            first = None
            for h in others:
                err = placement.boot_check(db, vm, h, memory=False)
                if err is None and free[h] is not None and free[h] < need:
                    err = XapiError("HOST_NOT_ENOUGH_FREE_MEMORY", need, free[h])
                if err is None:
                    plan[vm] = h
                    if free[h] is not None:
                        free[h] -= need
                    break
                first = first or err
            else:
                plan[vm] = first or XapiError("NO_HOSTS_AVAILABLE")
        return plan


def go_down(sim, host):
    """The host stops: metrics not live, its PBDs unplugged, its guests gone Halted;
    the master's toolstack going away forgets every session and task."""
    from .vm_ops import go_halted
    db = sim.db
    with db.lock:
        for vm in guests_on(db, host):
            go_halted(sim, vm)
        hm = db.get("host", host)["metrics"]
        if db.exists("host_metrics", hm):
            db.set("host_metrics", hm, "live", False)
        for pbd in db.get("host", host)["PBDs"]:
            if db.exists("PBD", pbd) and db.get("PBD", pbd)["currently_attached"]:
                db.set("PBD", pbd, "currently_attached", False)
        refresh_host(db, host)


def come_up(sim, host):
    """The host is back: live, enabled, PBDs plugged, new agent_start_time."""
    db = sim.db
    with db.lock:
        if not db.exists("host", host):
            return
        now = "%.3f" % sim.clock()
        other = dict(db.get("host", host)["other_config"], agent_start_time=now, boot_time=now)
        db.update("host", host, {"enabled": True, "other_config": other, "current_operations": {}})
        hm = db.get("host", host)["metrics"]
        for pbd in db.get("host", host)["PBDs"]:
            if db.exists("PBD", pbd) and not db.get("PBD", pbd)["currently_attached"]:
                db.set("PBD", pbd, "currently_attached", True)
        if db.exists("host_metrics", hm):
            db.set("host_metrics", hm, "live", True)
        refresh_host(db, host)


def down_delay(sim):
    """xapi answers host.reboot/shutdown first and goes down 10 s later; here
    max(2 × op-delay, 1 s), so that clients see the task's result before the toolstack goes."""
    return max(2 * sim.config.op_delay, 1.0)


def boot_seconds(sim):
    """How long a simulated host reboot keeps it down."""
    return max(5 * sim.config.op_delay, 0.5)


def _later(seconds, fn, *args):
    t = threading.Timer(seconds, fn, args=args)
    t.daemon = True
    t.start()


def register(sim):
    api, db = sim.api, sim.db
    add = api.add

    def exists(cls, ref):
        db.get(cls, coerce.to_str(ref))
        return coerce.to_str(ref)

    # ---------------------------------------------------------------- enable / disable
    def disable(sim, s, host, auto_enable=True):
        host = exists("host", host)
        with db.lock:
            if db.get("host", host)["enabled"]:
                db.set("host", host, "enabled", False)
            refresh_host(db, host)
        return ""
    add("host.disable", disable, 2, optional=1, asyncable=True)

    def enable(sim, s, host):
        host = exists("host", host)
        with db.lock:
            err = host_check(db, host, "enable")
            if err:
                raise err
            if not placement.host_live(db, host):
                raise XapiError("HOST_OFFLINE", host)
            if not db.get("host", host)["enabled"]:
                db.set("host", host, "enabled", True)
            refresh_host(db, host)
        return ""
    add("host.enable", enable, 1, asyncable=True)

    # ---------------------------------------------------------------- evacuation
    def prevent(sim, s, host):
        host = exists("host", host)
        return {vm: e.description() for vm, e in evacuation_plan(sim, host).items()
                if isinstance(e, XapiError)}
    add("host.get_vms_which_prevent_evacuation", prevent, 1, asyncable=True)

    def assert_can_evacuate(sim, s, host):
        errors = prevent(sim, s, host)
        if errors:
            raise XapiError("CANNOT_EVACUATE_HOST", "|".join(",".join(e) for e in errors.values()))
        return ""
    add("host.assert_can_evacuate", assert_can_evacuate, 1, asyncable=True)

    def evacuate(sim, s, host, network=NULL, batch_size=0):
        host = exists("host", host)
        with HostOperation(sim, host, "evacuate"):
            plan = evacuation_plan(sim, host)
            for vm, target in plan.items():
                if isinstance(target, XapiError):
                    raise target
            task = api.current_task()
            for i, (vm, target) in enumerate(sorted(plan.items())):
                with Operation(sim, vm, "pool_migrate"):
                    with db.lock:
                        err = placement.boot_check(db, vm, target, memory=False)
                        if err:
                            raise err
                        move_resident(sim, vm, target)
                if task:
                    sim.tasks.set_progress(task, (i + 1) / (len(plan) + 1))
        return ""
    add("host.evacuate", evacuate, 3, optional=2, asyncable=True)

    # ---------------------------------------------------------------- reboot / shutdown / power
    def assert_bacon_mode(host):
        with db.lock:
            if db.get("host", host)["enabled"]:
                raise XapiError("HOST_NOT_DISABLED")
            guests = [vm for vm in guests_on(db, host) if db.get("VM", vm)["power_state"] == "Running"]
            if guests:
                raise XapiError("HOST_IN_USE", host, "vm", guests[0])

    def power_cycle(op, back):
        def fn(sim, s, host):
            host = exists("host", host)
            assert_bacon_mode(host)
            hop = HostOperation(sim, host, op, keep=True)
            with hop:
                time.sleep(sim.config.op_delay)
            is_master = host == sim.master_ref

            def down():
                go_down(sim, host)
                if is_master and back:
                    sim.restart(boot_seconds(sim))
                if back:
                    _later(boot_seconds(sim), come_up, sim, host)
                else:
                    hop.done()
            _later(down_delay(sim), down)
            return ""
        return fn
    add("host.reboot", power_cycle("reboot", True), 1, asyncable=True)
    add("host.shutdown", power_cycle("shutdown", False), 1, asyncable=True)

    def power_on(sim, s, host):
        host = exists("host", host)
        with HostOperation(sim, host, "power_on"):
            time.sleep(sim.config.op_delay)
        _later(boot_seconds(sim), come_up, sim, host)
        return ""
    add("host.power_on", power_on, 1, asyncable=True)

    def set_power_on_mode(sim, s, host, mode, config):
        host = exists("host", host)
        mode = coerce.to_str(mode)
        if mode not in ("", "wake-on-lan", "iLO", "DRAC", "IPMI") and not mode.startswith("custom"):
            raise XapiError("INVALID_VALUE", "power_on_mode", mode)
        db.update("host", host, {"power_on_mode": mode, "power_on_config": coerce.to_map(config)})
        refresh_host(db, host)
        return ""
    add("host.set_power_on_mode", set_power_on_mode, 3, asyncable=True)

    def restart_agent(sim, s, host):
        """The toolstack restarts about a second after the answer: on the master every
        session and task is forgotten; agent_start_time changes."""
        host = exists("host", host)

        def restart():
            if host == sim.master_ref:
                sim.restart(max(2 * sim.config.op_delay, 0.2))
            with db.lock:
                if db.exists("host", host):
                    other = dict(db.get("host", host)["other_config"],
                                 agent_start_time="%.3f" % sim.clock())
                    db.set("host", host, "other_config", other)
        _later(max(sim.config.op_delay, 0.1), restart)
        return ""
    add("host.restart_agent", restart_agent, 1, asyncable=True)

    # ---------------------------------------------------------------- leaving the pool
    def forget_host_objects(host):
        rec = db.get("host", host)
        for cls, refs in (("PBD", rec["PBDs"]), ("PIF", rec["PIFs"]), ("host_cpu", rec["host_CPUs"]),
                          ("Certificate", rec["certificates"])):
            for r in refs:
                if db.exists(cls, r):
                    if cls == "PIF":
                        pif = db.get("PIF", r)
                        for v in pif["VLAN_slave_of"] + ([pif["VLAN_master_of"]]):
                            if db.exists("VLAN", v):
                                db.destroy("VLAN", v)
                        for b in pif["bond_master_of"]:
                            if db.exists("Bond", b):
                                db.destroy("Bond", b)
                    if db.exists(cls, r):
                        db.destroy(cls, r)
        for vm in rec["resident_VMs"]:
            if db.exists("VM", vm) and db.get("VM", vm)["is_control_domain"]:
                from .vm_copy import destroy_vm
                destroy_vm(sim, vm)
        if db.exists("host_metrics", rec["metrics"]):
            db.destroy("host_metrics", rec["metrics"])
        db.destroy("host", host)

    def host_destroy(sim, s, host):
        host = exists("host", host)
        with db.lock:
            if host == sim.master_ref or placement.host_live(db, host):
                raise XapiError("HOST_IS_LIVE", host)
            if [vm for vm in db.get("host", host)["resident_VMs"]
                    if db.exists("VM", vm) and not db.get("VM", vm)["is_control_domain"]]:
                raise XapiError("HOST_HAS_RESIDENT_VMS", host)
            forget_host_objects(host)
        return ""
    add("host.destroy", host_destroy, 1, asyncable=True)

    def eject(sim, s, host):
        host = exists("host", host)
        with db.lock:
            if db.get("pool", sim.pool_ref)["ha_enabled"]:
                raise XapiError("HA_IS_ENABLED")
            if host == sim.master_ref:
                raise XapiError("INTERNAL_ERROR", "Xapi_pool.Cannot_eject_master")
            for vm in db.get("host", host)["resident_VMs"]:
                if db.exists("VM", vm) and not db.get("VM", vm)["is_control_domain"] \
                        and db.get("VM", vm)["power_state"] != "Halted":
                    raise XapiError("OPERATION_NOT_ALLOWED", "VM resident on host")
            forget_host_objects(host)
        return ""
    add("pool.eject", eject, 1, asyncable=True)

    # ---------------------------------------------------------------- management interface
    def usable_for_management(pif):
        if db.get("PIF", pif)["ip_configuration_mode"] == "None":
            raise XapiError("PIF_HAS_NO_NETWORK_CONFIGURATION", pif)

    def set_management(host, pif):
        for p in db.get("host", host)["PIFs"]:
            if db.exists("PIF", p) and db.get("PIF", p)["management"] and p != pif:
                db.set("PIF", p, "management", False)
        db.update("PIF", pif, {"management": True, "currently_attached": True})
        db.set("host", host, "address", db.get("host", host)["address"])

    def host_mgmt(sim, s, pif):
        pif = exists("PIF", pif)
        with db.lock:
            if db.get("pool", sim.pool_ref)["ha_enabled"]:
                raise XapiError("HA_IS_ENABLED")
            usable_for_management(pif)
            set_management(db.get("PIF", pif)["host"], pif)
        return ""
    add("host.management_reconfigure", host_mgmt, 1, asyncable=True)

    def pool_mgmt(sim, s, network):
        network = exists("network", network)
        with db.lock:
            if db.get("pool", sim.pool_ref)["ha_enabled"]:
                raise XapiError("HA_IS_ENABLED")
            chosen = {}
            for host in db.refs("host"):
                pifs = [p for p in db.get("network", network)["PIFs"]
                        if db.exists("PIF", p) and db.get("PIF", p)["host"] == host]
                if not pifs:
                    raise XapiError("HOST_CANNOT_ATTACH_NETWORK", host, network)
                usable_for_management(pifs[0])
                chosen[host] = pifs[0]
            for host, pif in chosen.items():
                set_management(host, pif)
        return ""
    add("pool.management_reconfigure", pool_mgmt, 1, asyncable=True)

    def get_management_interface(sim, s, host):
        host = exists("host", host)
        for p in db.get("host", host)["PIFs"]:
            if db.exists("PIF", p) and db.get("PIF", p)["management"]:
                return p
        raise XapiError("HOST_HAS_NO_MANAGEMENT_IP")
    add("host.get_management_interface", get_management_interface, 1)

    def pif_scan(sim, s, host):
        exists("host", host)
        return ""
    add("PIF.scan", pif_scan, 1, asyncable=True)

    # ---------------------------------------------------------------- HA
    def disable_ha(sim, s):
        with db.lock:
            if not db.get("pool", sim.pool_ref)["ha_enabled"]:
                raise XapiError("HA_NOT_ENABLED")
            db.update("pool", sim.pool_ref, {"ha_enabled": False, "ha_statefiles": []})
        return ""
    add("pool.disable_ha", disable_ha, 0, asyncable=True)

"""VM lifecycle (reference §6): start/shutdown/reboot/suspend/resume/pause, snapshot,
checkpoint, clone, copy, destroy, with checks, current_operations/allowed_operations
and side effects (metrics, consoles, attachments, resident_VMs, messages).
Handlers run on HTTP or Async worker threads; each operation takes config.op_delay."""
import base64
import threading
import time

from . import coerce, placement, schema
from .db import new_ref
from .methods import create_message
from .vm_copy import clone_vm, destroy_vm, CREATE_FIELDS
from .vm_checks import check, allowed_operations
from .wire import XapiError, DateTime

NULL = "OpaqueRef:NULL"


def gm_of(db, rec):
    g = rec["guest_metrics"]
    return db.get("VM_guest_metrics", g) if g != NULL and db.exists("VM_guest_metrics", g) else None


def refresh_allowed(db, vm):
    with db.lock:
        rec = db.get("VM", vm)
        ops = allowed_operations(rec, gm_of(db, rec), vm)
        if ops != rec["allowed_operations"]:
            db.set("VM", vm, "allowed_operations", ops)


class Operation:
    """Context manager: check, mark current_operations, take op_delay, unmark."""

    def __init__(self, sim, vm, op):
        self.sim, self.vm, self.op = sim, vm, op
        self.token = sim.api.current_task() or ("OpaqueRef:" + new_ref()[10:])

    def __enter__(self):
        db = self.sim.db
        with db.lock:
            rec = db.get("VM", self.vm)
            err = check(self.vm, rec, self.op, gm_of(db, rec))
            if err:
                raise err
            ops = dict(rec["current_operations"])
            ops[self.token] = self.op
            db.set("VM", self.vm, "current_operations", ops)
            refresh_allowed(db, self.vm)
        self.wait()
        return self

    def wait(self):
        task = self.sim.api.current_task()
        steps = 4
        for i in range(steps):
            time.sleep(self.sim.config.op_delay / steps)
            if task:
                self.sim.tasks.check_cancel(task)
                self.sim.tasks.set_progress(task, (i + 1) / (steps + 1))

    def __exit__(self, *exc):
        db = self.sim.db
        with db.lock:
            if db.exists("VM", self.vm):
                ops = dict(db.get("VM", self.vm)["current_operations"])
                ops.pop(self.token, None)
                db.set("VM", self.vm, "current_operations", ops)
                refresh_allowed(db, self.vm)
        return False


def message(sim, name, vm, prio=4):
    rec = sim.db.get("VM", vm)
    create_message(sim, name, prio, "VM", rec["uuid"], "")


def _next_domid(db):
    return 1 + max([o.rec["domid"] for o in db.objects["VM"].values()] + [0])


def _attach_devices(db, vm, attached):
    rec = db.get("VM", vm)
    for vbd in rec["VBDs"]:
        if db.exists("VBD", vbd):
            r = db.get("VBD", vbd)
            dev = r["device"] or ("xvd" + "abcdefghijklmnop"[int(r["userdevice"] or 0) % 16])
            db.update("VBD", vbd, {"currently_attached": attached, "device": dev})
    for vif in rec["VIFs"]:
        if db.exists("VIF", vif):
            db.set("VIF", vif, "currently_attached", attached)


def _host_memory(db, host, delta, check=False):
    """Add `delta` bytes to the host's memory_free (no-op for hosts without metrics);
    with check, refuse with HOST_NOT_ENOUGH_FREE_MEMORY [needed, available]."""
    if not db.exists("host", host):
        return
    hm = db.get("host", host)["metrics"]
    if not db.exists("host_metrics", hm):
        return
    free = db.get("host_metrics", hm)["memory_free"]
    if check and free + delta < 0:
        raise XapiError("HOST_NOT_ENOUGH_FREE_MEMORY", -delta, free)
    db.set("host_metrics", hm, "memory_free", free + delta)


def _footprint(db, rec):
    """Host memory a running VM uses."""
    m = db.get("VM_metrics", rec["metrics"])["memory_actual"] if db.exists("VM_metrics", rec["metrics"]) else 0
    return m + rec["memory_overhead"]


def go_running(sim, vm, host, paused):
    db = sim.db
    with db.lock:
        rec = db.get("VM", vm)
        _host_memory(db, host, -(rec["memory_dynamic_max"] + rec["memory_overhead"]), check=True)
        db.update("VM", vm, {"power_state": "Paused" if paused else "Running",
                             "resident_on": host, "domid": _next_domid(db), "domarch": "x64"})
        if db.exists("VM_metrics", rec["metrics"]):
            db.update("VM_metrics", rec["metrics"], {
                "start_time": DateTime.now(), "memory_actual": rec["memory_dynamic_max"],
                "VCPUs_number": rec["VCPUs_at_startup"], "last_updated": DateTime.now(),
                "current_domain_type": rec["domain_type"] if rec["domain_type"] != "unspecified" else "hvm"})
        for proto in ("rfb", "vt100"):
            cu = new_ref()[10:]
            db.create("console", {"uuid": cu, "protocol": proto, "VM": vm,
                                  "location": "https://%s/console?uuid=%s" % (sim.host_address(host), cu)})
        _attach_devices(db, vm, True)
    if rec["other_config"].get("sim:no-tools") != "true" and not rec["is_control_domain"]:
        t = threading.Timer(sim.config.op_delay, _guest_agent_up, args=(sim, vm))
        t.daemon = True
        t.start()


def _guest_agent_up(sim, vm):
    db = sim.db
    with db.lock:
        if not db.exists("VM", vm):
            return
        rec = db.get("VM", vm)
        if rec["power_state"] != "Running" or rec["guest_metrics"] != NULL:
            return
        ip = "10.1.%d.%d" % (rec["domid"] // 250 % 250, rec["domid"] % 250 + 2)
        gm = db.create("VM_guest_metrics", {
            "os_version": {"name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian",
                           "major": "12", "minor": "5"},
            "PV_drivers_version": {"major": "8", "minor": "3", "micro": "0", "build": "1"},
            "PV_drivers_up_to_date": True, "PV_drivers_detected": True,
            "networks": {"0/ip": ip, "0/ipv4/0": ip},
            "other": {"feature-shutdown": "1", "feature-poweroff": "1", "feature-reboot": "1",
                      "feature-suspend": "1"},
            "last_updated": DateTime.now(), "live": True,
            "can_use_hotplug_vbd": "yes", "can_use_hotplug_vif": "yes"})
        db.set("VM", vm, "guest_metrics", gm)
        refresh_allowed(db, vm)


def go_halted(sim, vm, keep_suspend=False):
    db = sim.db
    with db.lock:
        rec = db.get("VM", vm)
        if rec["resident_on"] != NULL:
            _host_memory(db, rec["resident_on"], _footprint(db, rec))
        for c in rec["consoles"]:
            if db.exists("console", c):
                db.destroy("console", c)
        _attach_devices(db, vm, False)
        if rec["guest_metrics"] != NULL:
            if db.exists("VM_guest_metrics", rec["guest_metrics"]):
                db.destroy("VM_guest_metrics", rec["guest_metrics"])
        fields = {"power_state": "Halted", "resident_on": NULL, "domid": -1, "domarch": "",
                  "guest_metrics": NULL}
        if not keep_suspend and rec["suspend_VDI"] != NULL:
            if db.exists("VDI", rec["suspend_VDI"]):
                sim.remove_disk_file(rec["suspend_VDI"])
                db.destroy("VDI", rec["suspend_VDI"])
            fields["suspend_VDI"] = NULL
        db.update("VM", vm, fields)
        if db.exists("VM_metrics", rec["metrics"]):
            db.update("VM_metrics", rec["metrics"], {"memory_actual": 0, "VCPUs_number": 0,
                                                     "last_updated": DateTime.now()})


def go_suspended(sim, vm):
    """Running/Paused → Suspended: a suspend VDI (sparse file) on the VM's suspend SR
    or the pool's, domain gone."""
    db = sim.db
    with db.lock:
        rec = db.get("VM", vm)
        sr = rec["suspend_SR"] if rec["suspend_SR"] != NULL else db.get("pool", sim.pool_ref)["suspend_image_SR"]
        size = rec["memory_static_max"] + (1 << 20)
        vdi = db.create("VDI", {"name_label": "Suspend image", "SR": sr, "type": "suspend",
                                "virtual_size": size, "managed": True,
                                "allowed_operations": ["destroy"]})
        sim.create_disk_file(vdi, size)
        go_halted(sim, vm, keep_suspend=True)
        db.update("VM", vm, {"power_state": "Suspended", "suspend_VDI": vdi})


def _pick_host(sim, vm, host=None):
    """start_on/resume_on: the given host must be able to run the VM (memory is checked
    by go_running); start/resume: the affinity host if it can, else the master, else
    any other host (xapi's placement, without WLB)."""
    db = sim.db
    with db.lock:
        if host is not None:
            host = coerce.to_str(host)
            err = placement.boot_check(db, vm, host, memory=False)
            if err:
                raise err
            return host
        rec = db.get("VM", vm)
        cands = [h for h in [rec["affinity"], sim.master_ref] + sorted(db.refs("host"))
                 if h != NULL and db.exists("host", h)]
        return placement.choose_host(db, vm, list(dict.fromkeys(cands)))


def register(sim):
    sim.api.after_write["VM"] = lambda vm: refresh_allowed(sim.db, vm)

    def op(name, arity, fn, optional=0):
        sim.api.add("VM." + name, fn, arity, optional=optional, asyncable=True)
    for group in (_power_ops, _suspend_ops, _copy_ops, _other_ops, _memory_ops, _settings_ops):
        group(sim, sim.db, op)


def _power_ops(sim, db, op):

    def start(sim, s, vm, paused=False, force=False, host=None):
        paused = coerce.to_bool(paused)
        coerce.to_bool(force)
        with Operation(sim, vm, "start" if host is None else "start_on"):
            go_running(sim, vm, _pick_host(sim, vm, host), paused)
        message(sim, "VM_STARTED", vm, 5)
        return ""
    op("start", 3, start)
    op("start_on", 4, lambda sim, s, vm, host, p, f: start(sim, s, vm, p, f, host))

    def shutdown_fn(opname):
        def fn(sim, s, vm):
            with Operation(sim, vm, opname):
                go_halted(sim, vm)
            message(sim, "VM_SHUTDOWN", vm, 5)
            return ""
        return fn
    for name in ("clean_shutdown", "hard_shutdown", "shutdown"):
        op(name, 1, shutdown_fn(name))

    def reboot_fn(opname):
        def fn(sim, s, vm):
            with Operation(sim, vm, opname):
                with db.lock:
                    rec = db.get("VM", vm)
                    db.update("VM", vm, {"domid": _next_domid(db), "power_state": "Running"})
                    if db.exists("VM_metrics", rec["metrics"]):
                        db.set("VM_metrics", rec["metrics"], "start_time", DateTime.now())
            message(sim, "VM_REBOOTED", vm, 5)
            return ""
        return fn
    op("clean_reboot", 1, reboot_fn("clean_reboot"))
    op("hard_reboot", 1, reboot_fn("hard_reboot"))


def _suspend_ops(sim, db, op):

    def suspend(sim, s, vm):
        with Operation(sim, vm, "suspend"):
            go_suspended(sim, vm)
        message(sim, "VM_SUSPENDED", vm, 5)
        return ""
    op("suspend", 1, suspend)

    def resume(sim, s, vm, paused=False, force=False, host=None):
        paused = coerce.to_bool(paused)
        with Operation(sim, vm, "resume" if host is None else "resume_on"):
            with db.lock:
                rec = db.get("VM", vm)
                go_running(sim, vm, _pick_host(sim, vm, host), paused)
                if rec["suspend_VDI"] != NULL and db.exists("VDI", rec["suspend_VDI"]):
                    sim.remove_disk_file(rec["suspend_VDI"])
                    db.destroy("VDI", rec["suspend_VDI"])
                db.set("VM", vm, "suspend_VDI", NULL)
        message(sim, "VM_RESUMED", vm, 5)
        return ""
    op("resume", 3, resume)
    op("resume_on", 4, lambda sim, s, vm, host, p, f: resume(sim, s, vm, p, f, host))

    def pause_fn(opname, state, msg):
        def fn(sim, s, vm):
            with Operation(sim, vm, opname):
                db.set("VM", vm, "power_state", state)
            message(sim, msg, vm, 5)
            return ""
        return fn
    op("pause", 1, pause_fn("pause", "Paused", "VM_PAUSED"))
    op("unpause", 1, pause_fn("unpause", "Running", "VM_UNPAUSED"))


def _copy_ops(sim, db, op):

    def snapshot(sim, s, vm, name, ignore_vdis=None):
        ignore = set(coerce.to_list(ignore_vdis or []))
        with Operation(sim, vm, "snapshot"):
            snap = clone_vm(sim, vm, coerce.to_str(name), "snapshot", ignore=ignore)
        message(sim, "VM_SNAPSHOTTED", vm, 5)
        return snap
    op("snapshot", 3, snapshot, optional=1)

    def checkpoint(sim, s, vm, name):
        with Operation(sim, vm, "checkpoint"):
            snap = clone_vm(sim, vm, coerce.to_str(name), "checkpoint")
        message(sim, "VM_CHECKPOINTED", vm, 5)
        return snap
    op("checkpoint", 2, checkpoint)

    def clone(sim, s, vm, name):
        with Operation(sim, vm, "clone"):
            new = clone_vm(sim, vm, coerce.to_str(name), "clone")
        message(sim, "VM_CLONED", vm, 5)
        return new
    op("clone", 2, clone)

    def copy(sim, s, vm, name, sr=NULL):
        sr = coerce.to_str(sr) or NULL
        if sr != NULL:
            db.get("SR", sr)
        with Operation(sim, vm, "copy"):
            new = clone_vm(sim, vm, coerce.to_str(name), "copy", sr=sr)
        message(sim, "VM_COPIED", vm, 5)
        return new
    op("copy", 3, copy)


def _other_ops(sim, db, op):

    def destroy(sim, s, vm):
        with db.lock:
            rec = db.get("VM", vm)
            if rec["other_config"].get("default_template") == "true" or rec["is_default_template"]:
                raise XapiError("VM_CANNOT_DELETE_DEFAULT_TEMPLATE", vm)
        with Operation(sim, vm, "destroy"):
            destroy_vm(sim, vm)
        return ""
    op("destroy", 1, destroy)

    def provision(sim, s, vm):
        """xapi's VM.provision: the template becomes a VM (is_a_template false); the disks of
        other_config.disks are not created here (XO removes that key first)."""
        with Operation(sim, vm, "provision"):
            with db.lock:
                db.set("VM", vm, "is_a_template", False)
        return ""
    op("provision", 1, provision)

    def revert(sim, s, snap):
        with Operation(sim, snap, "revert"):
            revert_to(sim, snap)
        return ""
    op("revert", 1, revert)

    def pool_migrate(sim, s, vm, host, options):
        host = coerce.to_str(host)
        db.get("host", host)
        with Operation(sim, vm, "pool_migrate"):
            with db.lock:
                err = placement.boot_check(db, vm, host, memory=False)
                if err:
                    raise err
                move_resident(sim, vm, host)
        return ""
    op("pool_migrate", 3, pool_migrate)


def move_resident(sim, vm, host):
    """A running VM changes host: memory follows, resident_on moves (a localhost
    migration only renews the domain)."""
    db = sim.db
    with db.lock:
        rec = db.get("VM", vm)
        src = rec["resident_on"]
        if src != host:
            _host_memory(db, host, -_footprint(db, rec), check=True)
            _host_memory(db, src, _footprint(db, rec))
        db.update("VM", vm, {"resident_on": host, "domid": _next_domid(db)})
        for c in rec["consoles"]:
            if db.exists("console", c):
                cu = db.get("console", c)["uuid"]
                db.set("console", c, "location",
                       "https://%s/console?uuid=%s" % (sim.host_address(host), cu))


REVERT_FIELDS = ("name_description", "memory_static_max", "memory_dynamic_max",
                 "memory_dynamic_min", "memory_static_min", "VCPUs_max", "VCPUs_at_startup",
                 "VCPUs_params", "platform", "HVM_boot_params", "HVM_boot_policy", "PV_args",
                 "tags", "blocked_operations", "affinity", "domain_type", "NVRAM")


def revert_to(sim, snap):
    """VM.revert (xapi's Xapi_vm_snapshot.revert, reduced): the VM the snapshot was taken
    of gets the snapshot's settings back, new disks cloned from the snapshot's disks
    (the current ones are destroyed), the snapshot's VIFs; it ends Halted (Suspended
    with a copy of the memory image for a checkpoint); its parent becomes the snapshot."""
    from .storage_ops import copy_vdi, sr_usage
    db = sim.db
    with db.lock:
        srec = db.get("VM", snap)
        vm = srec["snapshot_of"]
        if vm == NULL or not db.exists("VM", vm):
            raise XapiError("VM_REVERT_FAILED", snap, vm)
        if db.get("VM", vm)["power_state"] != "Halted":
            go_halted(sim, vm)
        rec = db.get("VM", vm)
        old_vdis = []
        for vbd in rec["VBDs"]:
            if db.exists("VBD", vbd):
                b = db.get("VBD", vbd)
                if b["type"] == "Disk" and b["VDI"] != NULL and db.exists("VDI", b["VDI"]):
                    old_vdis.append(b["VDI"])
                db.destroy("VBD", vbd)
        for vif in rec["VIFs"]:
            if db.exists("VIF", vif):
                db.destroy("VIF", vif)
        for vbd in srec["VBDs"]:
            if not db.exists("VBD", vbd):
                continue
            b = {k: v for k, v in db.get("VBD", vbd).items() if k not in ("uuid", "current_operations")}
            if b["type"] == "Disk" and b["VDI"] != NULL and db.exists("VDI", b["VDI"]):
                b["VDI"] = copy_vdi(sim, b["VDI"], "clone")
            b.update(VM=vm, currently_attached=False)
            db.create("VBD", b)
        for vif in srec["VIFs"]:
            if db.exists("VIF", vif):
                v = {k: x for k, x in db.get("VIF", vif).items() if k not in ("uuid", "current_operations")}
                v.update(VM=vm, currently_attached=False)
                db.create("VIF", v)
        fields = {f: srec[f] for f in REVERT_FIELDS}
        fields["parent"] = snap
        db.update("VM", vm, fields)
        if srec["power_state"] == "Suspended" and srec["suspend_VDI"] != NULL \
                and db.exists("VDI", srec["suspend_VDI"]):
            sv = copy_vdi(sim, srec["suspend_VDI"], "copy")
            db.update("VDI", sv, {"is_a_snapshot": False, "type": "suspend"})
            db.update("VM", vm, {"power_state": "Suspended", "suspend_VDI": sv})
        for vdi in old_vdis:
            if db.exists("VDI", vdi) and not any(
                    db.exists("VBD", x) for x in db.get("VDI", vdi)["VBDs"]):
                sr = db.get("VDI", vdi)["SR"]
                sim.remove_disk_file(vdi)
                db.destroy("VDI", vdi)
                sr_usage(db, sr)
        refresh_allowed(db, vm)


def assert_memory(db, vm, rec, smin, dmin, dmax, smax):
    """xapi's Vm_memory_constraints.assert_valid_for_current_context: static_min <=
    dynamic_min <= dynamic_max <= static_max, and a control domain or a nested-virt guest
    pinned at its static maximum."""
    metrics = rec["metrics"]
    if metrics != NULL and db.exists("VM_metrics", metrics):
        nested = db.get("VM_metrics", metrics)["nested_virt"]
    else:
        nested = rec["platform"].get("nested-virt") in ("true", "1", "on")
    pinned = "control domain" if rec["is_control_domain"] else "nested virt" if nested else None
    if pinned and not smin <= dmin == dmax == smax:
        raise XapiError("MEMORY_CONSTRAINT_VIOLATION_MAXPIN", pinned)
    if not smin <= dmin <= dmax <= smax:
        raise XapiError("MEMORY_CONSTRAINT_VIOLATION_ORDER")


def _settings_ops(sim, db, op):
    """Boot and device settings with xapi's rules (xapi_vm.ml)."""

    def set_has_vendor_device(sim, s, vm, value):
        value = coerce.to_bool(value)
        with db.lock:
            rec = db.get("VM", vm)
            if rec["power_state"] != "Halted":  # assert_initial_power_state_is `Halted
                raise XapiError("VM_BAD_POWER_STATE", vm, "halted", rec["power_state"].lower())
            fields = {"has_vendor_device": value}
            if value:  # update_vm_virtual_hardware_platform_version: the device needs version 2
                fields["hardware_platform_version"] = max(rec["hardware_platform_version"], 2)
            db.update("VM", vm, fields)
        return ""
    op("set_has_vendor_device", 2, set_has_vendor_device)

    # set_domain_type derives HVM_boot_policy, set_HVM_boot_policy derives domain_type.
    def set_domain_type(sim, s, vm, value):
        value = coerce.to_str(value)
        if value not in ("hvm", "pv", "pv_in_pvh", "pvh", "unspecified"):
            raise XapiError("INTERNAL_ERROR", "Unknown enum value %r for VM.domain_type" % value)
        if value == "unspecified":
            raise XapiError("INVALID_VALUE", "domain_type", value)
        with db.lock:
            db.get("VM", vm)
            db.update("VM", vm, {"domain_type": value,
                                 "HVM_boot_policy": "BIOS order" if value == "hvm" else ""})
        return ""
    op("set_domain_type", 2, set_domain_type)

    def set_hvm_boot_policy(sim, s, vm, value):
        value = coerce.to_str(value)
        with db.lock:
            db.get("VM", vm)
            db.update("VM", vm, {"HVM_boot_policy": value, "domain_type": "hvm" if value else "pv"})
        return ""
    op("set_HVM_boot_policy", 2, set_hvm_boot_policy)

    # set_uefi_mode runs varstore-sb-state, which rewrites the guest's EFI variables (NVRAM):
    # setup mode drops the platform key, user mode installs the default keys. The script
    # fails on a VM without UEFI firmware (xapi: INTERNAL_ERROR of the spawn failure).
    def set_uefi_mode(sim, s, vm, mode):
        mode = coerce.to_str(mode)
        if mode not in ("setup", "user"):
            raise XapiError("INTERNAL_ERROR", "Unknown enum value %r for vm_uefi_mode" % mode)
        with db.lock:
            rec = db.get("VM", vm)
            if rec["HVM_boot_params"].get("firmware") != "uefi":
                raise XapiError("INTERNAL_ERROR", 'Forkhelpers.Spawn_internal_error("VM is not UEFI", "", '
                                "Unix.WEXITED(1))")
            nvram = dict(rec["NVRAM"])
            nvram["EFI-variables"] = base64.b64encode(("sim:%s-mode" % mode).encode()).decode()
            db.update("VM", vm, {"NVRAM": nvram})
        return ""
    op("set_uefi_mode", 2, set_uefi_mode)


LIMITS = ("memory_static_min", "memory_dynamic_min", "memory_dynamic_max", "memory_static_max")


def _memory_ops(sim, db, op):

    # Every memory setter of xapi is one of three checked changes of the four limits: the
    # limits at once (changing_memory_limits: halted), the static range (halted) or the
    # dynamic range (halted or running) — message forwarding turns the single-limit setters
    # into a range change. The new limits are checked as a whole (assert_memory); the
    # balloon target follows the dynamic minimum.
    def set_limits(vm, operation, changes):
        changes = {f: coerce.to_int(v) for f, v in changes.items()}
        with db.lock:
            rec = db.get("VM", vm)
            err = check(vm, rec, operation, gm_of(db, rec))
            if err:
                raise err
            new = dict((f, rec[f]) for f in LIMITS)
            new.update(changes)
            assert_memory(db, vm, rec, *(new[f] for f in LIMITS))
            if "memory_dynamic_min" in changes:
                changes["memory_target"] = changes["memory_dynamic_min"]
            db.update("VM", vm, changes)
        return ""

    def setter(operation, *fields):
        """A message setting `fields` (of LIMITS) to its arguments, in that order."""
        return lambda sim, s, vm, *values: set_limits(vm, operation, dict(zip(fields, values)))

    smin, dmin, dmax, smax = LIMITS
    op("set_memory_limits", 5, setter("changing_memory_limits", smin, smax, dmin, dmax))
    op("set_memory", 2, lambda sim, s, vm, v: set_limits(vm, "changing_memory_limits",
                                                         {smax: v, dmin: v, dmax: v}))
    op("set_memory_static_range", 3, setter("changing_static_range", smin, smax))
    op("set_memory_static_min", 2, setter("changing_static_range", smin))
    op("set_memory_static_max", 2, setter("changing_static_range", smax))
    op("set_memory_dynamic_range", 3, setter("changing_dynamic_range", dmin, dmax))
    op("set_memory_dynamic_min", 2, setter("changing_dynamic_range", dmin))
    op("set_memory_dynamic_max", 2, setter("changing_dynamic_range", dmax))

    def power(vm, rec, expected):
        actual = rec["power_state"].lower()
        if actual != expected:
            raise XapiError("VM_BAD_POWER_STATE", vm, expected, actual)

    # xapi's VCPU rules (xapi_vm.ml): the maximum only while halted, and
    # 0 < VCPUs_at_startup <= VCPUs_max (INVALID_VALUE [rule, value]), neither on dom0;
    # the live count only while running, up to the maximum.
    vcpu_rule = "VCPU values must satisfy: 0 < VCPUs_at_startup \u2264 VCPUs_max"

    def set_vcpus_max(sim, s, vm, n):
        n = coerce.to_int(n)
        with db.lock:
            rec = db.get("VM", vm)
            power(vm, rec, "halted")
            if n < 1 or n < rec["VCPUs_at_startup"]:
                raise XapiError("INVALID_VALUE", vcpu_rule, str(n))
            db.update("VM", vm, {"VCPUs_max": n})
        return ""
    op("set_VCPUs_max", 2, set_vcpus_max)

    def set_vcpus_at_startup(sim, s, vm, n):
        n = coerce.to_int(n)
        with db.lock:
            rec = db.get("VM", vm)
            if rec["is_control_domain"] and rec["domid"] == 0:
                raise XapiError("OPERATION_NOT_ALLOWED", "set_VCPUs_at_startup is not allowed on dom0")
            if n < 1 or n > rec["VCPUs_max"]:
                raise XapiError("INVALID_VALUE", vcpu_rule, str(n))
            db.update("VM", vm, {"VCPUs_at_startup": n})
        return ""
    op("set_VCPUs_at_startup", 2, set_vcpus_at_startup)

    def set_vcpus_number_live(sim, s, vm, n):
        n = coerce.to_int(n)
        with db.lock:
            rec = db.get("VM", vm)
            power(vm, rec, "running")
            if n < 1 or n > rec["VCPUs_max"]:
                raise XapiError("INVALID_VALUE", "nvcpu", str(n))
            db.update("VM", vm, {"VCPUs_at_startup": n})
            if db.exists("VM_metrics", rec["metrics"]):
                db.update("VM_metrics", rec["metrics"], {"VCPUs_number": n})
        return ""
    op("set_VCPUs_number_live", 2, set_vcpus_number_live)

    def set_ha_restart_priority(sim, s, vm, value):
        value = coerce.to_str(value)
        if value not in ("", "restart", "best-effort"):
            raise XapiError("INVALID_VALUE", "ha_restart_priority", value)
        db.get("VM", vm)
        db.update("VM", vm, {"ha_restart_priority": value, "ha_always_run": value == "restart"})
        return ""
    op("set_ha_restart_priority", 2, set_ha_restart_priority)

    def delay_setter(field):
        def fn(sim, s, vm, value):
            db.get("VM", vm)
            db.update("VM", vm, {field: coerce.to_int(value)})
            return ""
        return fn
    for f in ("start_delay", "shutdown_delay", "order"):
        op("set_" + f, 2, delay_setter(f))

    def assert_ok(sim, s, vm):
        rec = db.get("VM", vm)
        err = check(vm, rec, "start", gm_of(db, rec))
        if err:
            raise err
        return ""
    def assert_can_boot_here(sim, s, vm, host):
        assert_ok(sim, s, vm)
        with db.lock:
            err = placement.boot_check(db, coerce.to_str(vm), coerce.to_str(host))
            if err:
                raise err
        return ""
    op("assert_can_boot_here", 2, assert_can_boot_here)

    def assert_operation_valid(sim, s, vm, operation):
        """The strict check allowed_operations uses (guest features included)."""
        rec = db.get("VM", vm)
        err = check(vm, rec, coerce.to_str(operation), gm_of(db, rec), strict=True)
        if err:
            raise err
        return ""
    op("assert_operation_valid", 2, assert_operation_valid)

    def vm_create(sim, s, record):
        vm_fields = schema.CLASSES["VM"].by_name
        fields = {k: coerce.for_field(vm_fields[k], v) for k, v in coerce.to_map_any(record).items()
                  if k in CREATE_FIELDS}
        fields.setdefault("power_state", "Halted")
        fields["power_state"] = "Halted"
        fields["domid"] = -1
        with db.lock:
            m = db.create("VM_metrics", {"install_time": DateTime.now()})
            fields["metrics"] = m
            vm = db.create("VM", fields)
            refresh_allowed(db, vm)
        return vm
    op("create", 1, vm_create)

    # xapi_vm.ml copy_bios_strings: a halted VM whose strings are not set yet gets the host's.
    def copy_bios_strings(sim, s, vm, host):
        with db.lock:
            rec = db.get("VM", vm)
            hrec = db.get("host", host)
            if rec["power_state"] != "Halted":
                raise XapiError("VM_BAD_POWER_STATE", vm, "halted", rec["power_state"].lower())
            if rec["bios_strings"]:
                raise XapiError("VM_BIOS_STRINGS_ALREADY_SET")
            db.update("VM", vm, {"bios_strings": dict(hrec["bios_strings"])})
        return ""
    op("copy_bios_strings", 2, copy_bios_strings)

    # xapi_vtpm.ml create: a halted VM, at most one vTPM (VTPM_MAX_AMOUNT_REACHED [max]).
    def vtpm_create(sim, s, vm, is_unique):
        with db.lock:
            rec = db.get("VM", vm)
            if rec["power_state"] != "Halted":
                raise XapiError("VM_BAD_POWER_STATE", vm, "halted", rec["power_state"].lower())
            if rec["VTPMs"]:
                raise XapiError("VTPM_MAX_AMOUNT_REACHED", "1")
            ref = db.create("VTPM", {"VM": vm, "backend": NULL, "persistence_backend": "xapi",
                                     "is_unique": coerce.to_bool(is_unique), "is_protected": False})
        return ref
    sim.api.add("VTPM.create", vtpm_create, 2, asyncable=True)

    # xapi_vgpu.ml create: a halted VM, device "0" (one vGPU per VM), a null type meaning
    # passthrough, an unknown type INVALID_VALUE ["type", ref], the device unique in the VM.
    def vgpu_create(sim, s, vm, group, device, other_config, vgpu_type):
        device = coerce.to_str(device)
        with db.lock:
            rec = db.get("VM", vm)
            db.get("GPU_group", group)
            if rec["power_state"] != "Halted":
                raise XapiError("VM_BAD_POWER_STATE", vm, "halted", rec["power_state"].lower())
            if device != "0":
                raise XapiError("INVALID_DEVICE", device)
            if vgpu_type == NULL:
                vgpu_type = next((t for t in db.refs("VGPU_type")
                                  if db.get("VGPU_type", t)["implementation"] == "passthrough"), NULL)
            elif not db.exists("VGPU_type", vgpu_type):
                raise XapiError("INVALID_VALUE", "type", vgpu_type)
            if any(db.get("VGPU", v)["device"] == device for v in rec["VGPUs"]):
                raise XapiError("DEVICE_ALREADY_EXISTS", device)
            ref = db.create("VGPU", {"VM": vm, "GPU_group": group, "device": device, "currently_attached": False,
                                     "other_config": coerce.to_map(other_config), "type": vgpu_type,
                                     "resident_on": NULL, "scheduled_to_be_resident_on": NULL,
                                     "compatibility_metadata": {}})
        return ref
    sim.api.add("VGPU.create", vgpu_create, 5, asyncable=True)

"""The data plane's view of the simulator core (sessions, tasks, objects, disk files),
in one place so the handlers do not depend on the core's internals. Any thread."""

import contextlib

from ..wire import XapiError
from .errors import DataplaneError

NULL = "OpaqueRef:NULL"


class SimPort:
    def __init__(self, sim):
        self.sim = sim
        self.db = sim.db

    # ------------------------------------------------------------------ sessions
    def session_valid(self, ref):
        return self.sim.check_session(ref)

    def login(self, user, password):
        return self.sim.sessions.login(user, password, "").ref

    def logout(self, ref):
        self.sim.sessions.logout(ref)

    # ------------------------------------------------------------------ tasks
    def task_exists(self, ref):
        return self.sim.tasks.exists(ref)

    def task_create(self, label):
        return self.sim.tasks.create(label)

    def task_complete(self, ref, value=None, raw_result=None):
        self.sim.tasks.complete(ref, value, raw_result=raw_result)

    def task_fail(self, ref, code, params):
        self.sim.tasks.fail(ref, XapiError(code, *params))

    def task_progress(self, ref, value):
        self.sim.tasks.set_progress(ref, value)

    def task_destroy(self, ref):
        with self.db.lock:
            if self.db.exists("task", ref):
                self.db.destroy("task", ref)

    def task_cancelled(self, ref):
        return self.sim.tasks.cancel_requested(ref)

    # ------------------------------------------------------------------ objects
    def resolve(self, cls, value):
        """A ref from a ref or uuid query value; HANDLE_INVALID / UUID_INVALID."""
        if not value:
            raise DataplaneError("HANDLE_INVALID", cls, NULL)
        with self.db.lock:
            if value.startswith("OpaqueRef:"):
                if self.db.exists(cls, value):
                    return value
                raise DataplaneError("HANDLE_INVALID", cls, value)
            try:
                return self.db.by_uuid(cls, value)
            except XapiError:
                raise DataplaneError("UUID_INVALID", cls, value)

    def get(self, cls, ref):
        return self.db.get(cls, ref)

    def vm_check(self, vm, rec, operation):
        """The core's verdict on running `operation` on a VM: None or a DataplaneError."""
        from .. import vm_checks
        err = vm_checks.check(vm, rec, operation)
        return None if err is None else DataplaneError(err.code, *err.params)

    def master(self):
        return self.sim.master_ref

    def host_address(self, host_ref):
        return self.sim.host_address(host_ref)

    def member_url(self, host_ref):
        """scheme://<host address>:<port> of a pool member, with the simulator's own
        scheme and port (xapi: https on 443)."""
        url = getattr(self.sim, "url", None) or "https://127.0.0.1:443"
        scheme, rest = url.split("://", 1)
        return "%s://%s:%s" % (scheme, self.host_address(host_ref), rest.rsplit(":", 1)[1])

    def sr_remote_host(self, sr_ref, here=None):
        """The host to redirect to when sr_ref is a local SR of another pool member
        than `here` (the contacted host, default the master), else None."""
        with self.db.lock:
            sr = self.db.get("SR", sr_ref)
            if sr["shared"]:
                return None
            hosts = [self.db.get("PBD", p)["host"] for p in sr["PBDs"]
                     if self.db.exists("PBD", p)]
        if not hosts or (here or self.master()) in hosts:
            return None
        return hosts[0]

    def default_sr(self):
        with self.db.lock:
            pools = self.db.refs("pool")
            return self.db.get("pool", pools[0])["default_SR"] if pools else NULL

    # ------------------------------------------------------------------ disks
    def vdi_path(self, vdi_ref):
        return self.sim.vdi_path(vdi_ref)

    def create_disk_file(self, vdi_ref, size):
        self.sim.create_disk_file(vdi_ref, size)

    def remove_disk_file(self, vdi_ref):
        self.sim.remove_disk_file(vdi_ref)

    @contextlib.contextmanager
    def dom0_attached(self, vdi, mode):
        """A VBD plugging the VDI into the master's control domain for the duration of
        a transfer, as xapi does (mode "RO" or "RW")."""
        with self.db.lock:
            dom0 = self.db.get("host", self.master())["control_domain"]
            vbd = None
            if self.db.exists("VM", dom0):
                used = {self.db.get("VBD", v)["userdevice"] for v in self.db.get("VM", dom0)["VBDs"]}
                slot = next(str(i) for i in range(len(used) + 1) if str(i) not in used)
                vbd = self.db.create("VBD", {
                    "VM": dom0, "VDI": vdi, "userdevice": slot, "device": "xvd" + chr(97 + int(slot) % 26),
                    "mode": mode, "type": "Disk", "currently_attached": True,
                    "unpluggable": True})
        try:
            yield vbd
        finally:
            with self.db.lock:
                if vbd and self.db.exists("VBD", vbd):
                    self.db.destroy("VBD", vbd)

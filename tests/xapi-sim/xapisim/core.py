"""The Simulator: owns the database, sessions, tasks, RPC table, faults and the HTTP
route table. One instance per process; every member is thread-safe. This is the
object the data plane receives (see README-internal.md)."""
import os
import threading
import time

from .api import Api
from .db import Database
from .faults import Faults
from .sessions import Sessions
from .tasks import Tasks
from .wire import XapiError


class Config:
    def __init__(self, **kw):
        self.port = 0
        self.vms = 10
        self.hosts = 1
        self.seed = 1
        self.user = "root"
        self.password = "secret"
        self.tls = False
        self.state_dir = None
        self.supporter_of = None      # master address: this instance acts as a supporter
        self.op_delay = 0.2           # seconds a VM lifecycle operation takes
        self.address = "127.0.0.1"
        self.jsonrpc = True           # False: /jsonrpc falls into /json like very old hosts
        self.__dict__.update(kw)


class Simulator:
    def __init__(self, config):
        self.config = config
        self.state_dir = config.state_dir
        self.db = Database()
        self.clock_offset = 0.0       # control "time_travel" moves the clock forward
        self.sessions = Sessions(self.db, config.user, config.password, self.clock)
        self.tasks = Tasks(self.db, lambda: self.master_ref, self.clock)
        self.faults = Faults()
        self.api = Api(self)
        self.pool_ref = None
        self.master_ref = None
        self.routes = {}              # HTTP method → [(prefix, handler)]
        self.url = None               # set by the server once listening
        self.booting_until = 0.0      # HOST_STILL_BOOTING until then
        self.lock = threading.Lock()
        self.stats = {}
        self.plugins = {}             # host.call_plugin: plugin name → fn(sim, host, fn, args)
        from . import methods, events, vm_ops, storage_ops, monitoring, host_ops, migration, \
            network_ops, sr_ops, console
        for mod in (methods, events, vm_ops, storage_ops, monitoring, host_ops, migration,
                    network_ops, sr_ops, console):
            mod.register(self)

    def count(self, what):
        """Count requests per wire (reported by the control endpoint's info)."""
        with self.lock:
            self.stats[what] = self.stats.get(what, 0) + 1

    def clock(self):
        """Simulated wall clock (seconds): session expiry and task GC use it."""
        return time.time() + self.clock_offset

    # ------------------------------------------------------------------ data plane API
    def add_route(self, method, prefix, handler):
        """Register handler(req) for HTTP `method` on paths starting with `prefix`
        (longest prefix wins). req is the BaseHTTPRequestHandler (see server.py)."""
        self.routes.setdefault(method.upper(), []).append((prefix, handler))
        self.routes[method.upper()].sort(key=lambda p: -len(p[0]))

    def find_route(self, method, path):
        for prefix, handler in self.routes.get(method.upper(), []):
            if path.startswith(prefix):
                return handler
        return None

    def vdi_path(self, vdi_ref):
        """Path of the sparse raw disk file backing a VDI (HANDLE_INVALID if gone)."""
        uuid = self.db.get("VDI", vdi_ref)["uuid"]
        return os.path.join(self.state_dir, uuid + ".raw")

    def create_disk_file(self, vdi_ref, size):
        with open(self.vdi_path(vdi_ref), "wb") as f:
            f.truncate(size)

    def remove_disk_file(self, vdi_ref):
        try:
            os.unlink(self.vdi_path(vdi_ref))
        except OSError:
            pass

    def check_session(self, ref):
        """True if ref is a live session (HTTP handlers use it for auth)."""
        return self.sessions.is_valid(ref)

    def host_address(self, host_ref):
        return self.db.get("host", host_ref)["address"]

    # ------------------------------------------------------------------ restart
    def restart(self, seconds):
        """Simulated toolstack restart: sessions and tasks forgotten; calls fail with
        HOST_STILL_BOOTING until `seconds` have passed."""
        self.booting_until = time.time() + seconds
        self.sessions.clear()
        self.tasks.forget_all()

    def booting(self):
        return time.time() < self.booting_until

    def call(self, name, params):
        """Entry point of both RPC wires."""
        if self.booting():
            raise XapiError("HOST_STILL_BOOTING")
        if self.config.supporter_of:
            base = name[6:] if name.startswith("Async.") else name
            if base not in ("system.listMethods",):
                raise XapiError("HOST_IS_SLAVE", self.config.supporter_of)
        self.faults.delay(name)
        if not name.startswith("Async."):
            self.faults.hang(name)   # Async calls hang and fail inside their task (api.py)
            self.faults.fail(name)
        return self.api.call(name, params)


class SupporterView:
    """What a pool supporter's xapi looks like: the same pool, but every RPC (login
    included) fails with HOST_IS_SLAVE [master address]; HTTP handlers still work."""

    def __init__(self, sim, host_ref):
        self._sim = sim
        self.host_ref = host_ref

    def __getattr__(self, name):
        return getattr(self._sim, name)

    def call(self, name, params):
        if self._sim.booting():
            raise XapiError("HOST_STILL_BOOTING")
        raise XapiError("HOST_IS_SLAVE", self._sim.host_address(self._sim.master_ref))

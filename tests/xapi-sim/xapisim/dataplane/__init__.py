"""The simulator's HTTP data plane (XVA /export and /import, /export_raw_vdi and
/import_raw_vdi with raw and VHD) and NBD (VDI.get_nbd_info served by nbdkit).
register(sim) is called once by the core; handlers then run on connection threads."""

import atexit
import socket

from . import nbd, raw_vdi, vm_export, vm_import
from .errors import DataplaneError
from .http_common import Request
from .port import SimPort

ROUTES = [("GET", "/export", vm_export.handle), ("PUT", "/import", vm_import.handle),
          ("GET", "/export_metadata", vm_export.handle_metadata),
          ("POST", "/import", vm_import.handle),
          ("GET", "/export_raw_vdi", raw_vdi.handle_export),
          ("PUT", "/import_raw_vdi", raw_vdi.handle_import)]


def _exact(prefix, fn, port):
    """Only `prefix` and `prefix/` (the core routes by prefix, so /export would also
    catch /export_metadata)."""
    def handler(h):
        path = h.path.split("?", 1)[0]
        if path not in (prefix, prefix + "/"):
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            h.wfile.write(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
                          b"content-length: %d\r\n\r\n" % len(body) + body)
            h.close_connection = True
            return
        if _injected_faults(port, prefix, h):
            fn(port, h)
    return handler


def _injected_faults(port, name, h):
    """Faults set through the control endpoint with the route as the method name
    (e.g. "/export_raw_vdi"): delay, drop (connection closed without an answer), fail
    (HTTP 500, the given task failed with the error). False when the request is over."""
    from ..wire import XapiError
    faults = port.sim.faults
    faults.delay(name)
    if faults.should_drop(name):
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return False
    try:
        faults.fail(name)
    except XapiError as err:
        req = Request(h)
        task = req.query.get("task_id")
        if task and port.task_exists(task):
            port.task_fail(task, err.code, err.params)
        req.send_simple("500 Internal Error")
        return False
    return True


# DATAPLANE-REQUEST: server.Handler should override handle_expect_100() to return True
# without writing "100 Continue": xapi never answers 100 (reference §7.1; clients that
# send "Expect: 100-continue" must see the final 200 first). BaseHTTPRequestHandler
# sends the 100 before our PUT handlers run, so the data plane cannot suppress it.


def register(sim):
    """Install the HTTP routes and the VDI.get_nbd_info method on the simulator."""
    port = SimPort(sim)
    for method, prefix, fn in ROUTES:
        sim.add_route(method, prefix, _exact(prefix, fn, port))
    servers = nbd.NbdServers(getattr(sim, "state_dir", None))
    sim.nbd_servers = servers
    atexit.register(servers.stop_all)

    def get_nbd_info(sim_, session, vdi):
        try:
            return nbd.get_nbd_info(port, servers, session.ref, str(vdi))
        except DataplaneError as err:
            from ..wire import XapiError
            raise XapiError(err.code, *err.params)
    sim.api.add("VDI.get_nbd_info", get_nbd_info, 1)
    _purpose_methods(sim)
    return servers


def _purpose_methods(sim):
    """network.add_purpose / remove_purpose (what turns NBD on), unless the core
    already serves them."""
    db = sim.db

    def change(add):
        def fn(sim_, session, net, value):
            from ..wire import XapiError
            net, value = str(net), str(value)
            if value not in ("nbd", "insecure_nbd"):
                raise XapiError("INVALID_VALUE", "purpose", value)
            db.get("network", net)
            (db.set_add if add else db.set_remove)("network", net, "purpose", value)
            return ""
        return fn
    for name, add in (("network.add_purpose", True), ("network.remove_purpose", False)):
        if sim.api.lookup(name) is None:
            sim.api.add(name, change(add), 2)


def shutdown(sim):
    """Stop the nbdkit servers (also done at interpreter exit)."""
    servers = getattr(sim, "nbd_servers", None)
    if servers is not None:
        servers.stop_all()

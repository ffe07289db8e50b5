"""GET /export (reference §7.2): streams a VM as an XVA, optionally gzip/zstd
compressed, inside the caller's task or an own one. Runs on the connection's thread;
blocks on the socket and the disk files."""

from . import compression, ova_export, xva
from .diskio import DiskFile
from .errors import DataplaneError
from .http_common import SERVER, Auth, Request, TaskBinding, unauthorised
from .redirect import redirect

EXPORTABLE = ("Halted", "Suspended")


def _check_vm(port, req, operation="export"):
    """The VM of ref= or uuid=, if `operation` is allowed on it (the core's checks:
    power state Halted/Suspended, blocked or conflicting operations, dom0)."""
    vm = port.resolve("VM", req.query.get("ref") or req.query.get("uuid"))
    rec = port.get("VM", vm)
    err = port.vm_check(vm, rec, operation)
    if err is not None:
        raise err
    if operation == "export" and rec["power_state"] not in EXPORTABLE:
        raise DataplaneError("VM_BAD_POWER_STATE", vm, "halted, suspended",
                             rec["power_state"].lower())
    return vm


def _remote_host(port, disks, here):
    for vdi in disks.values():
        host = port.sr_remote_host(port.get("VDI", vdi)["SR"], here)
        if host:
            return host
    return None


def _set_operation(port, vm, task, on):
    with port.db.lock:
        if not port.db.exists("VM", vm):
            return
        if on:
            port.db.map_put("VM", vm, "current_operations", task, "export")
        else:
            port.db.map_del("VM", vm, "current_operations", task)


def _stream(req, task, port, ova_xml, disks, method):
    files = {}
    try:
        for disk_id, vdi in disks.items():
            files[disk_id] = DiskFile(port.vdi_path(vdi), port.get("VDI", vdi)["virtual_size"])
        total = max(1, sum(f.size for f in files.values()))
        done = 0
        for piece in compression.compress_pieces(xva.write_xva(ova_xml, files), method):
            req.write(piece)
            done += len(piece)
            task.tick(done / total)
    finally:
        for f in files.values():
            f.close()


def handle_metadata(port, h):
    """GET /export_metadata: a tar holding only ova.xml, with a Content-Length."""
    req = Request(h)
    auth = Auth(req, port)
    if not auth.session:
        unauthorised(req, "export_metadata")
        return
    task = TaskBinding(req, port, "Export of VM metadata")
    try:
        try:
            vm = _check_vm(port, req, "metadata_export")
        except DataplaneError as err:
            task.fail(err)
            req.send_simple("500 Internal Error", headers=[("task-id:", task.ref)])
            return
        ova_xml, _ = ova_export.build(port.db, vm)
        body = b"".join(xva.write_xva(ova_xml, {}))
        req.send_simple("200 OK", body, [("task-id", task.ref),
                                         ("content-type", "application/octet-stream"),
                                         ("Content-Disposition",
                                          'attachment; filename="export.xva"')])
        task.succeed(raw_result="")
    finally:
        task.close()
        auth.close()


def handle(port, h):
    req = Request(h)
    auth = Auth(req, port)
    if not auth.session:
        unauthorised(req, "export")
        return
    task = TaskBinding(req, port, "Export of VM")
    try:
        try:
            vm = _check_vm(port, req)
            ova_xml, disks = ova_export.build(port.db, vm,
                                              req.query.get("preserve_power_state") == "true")
        except DataplaneError as err:
            task.fail(err)
            req.send_simple("500 Internal Error", headers=[("task-id:", task.ref)])
            return
        host = _remote_host(port, disks, req.host)
        if host:
            task.release()
            redirect(req, port, host)
            return
        _export(req, task, port, vm, ova_xml, disks)
    finally:
        task.close()
        auth.close()


def _export(req, task, port, vm, ova_xml, disks):
    """Stream the archive; the VM's export operation ends before the task does."""
    method = compression.export_compression(req.query.get("use_compression"))
    _set_operation(port, vm, task.ref, True)
    error = None
    try:
        req.send_head("200 OK", [("Connection", "close"), ("Cache-Control", "no-cache, no-store"),
                                 ("task-id", task.ref), ("Server", SERVER),
                                 ("content-type", "application/octet-stream"),
                                 ("Content-Disposition", 'attachment; filename="export.xva"')],
                      version="HTTP/1.0")
        _stream(req, task, port, ova_xml, disks, method)
    except DataplaneError as err:
        error = err
    except OSError as err:  # the client went away: the export just stops
        error = DataplaneError("VDI_IO_ERROR", "export stream: %s" % err)
    finally:
        _set_operation(port, vm, task.ref, False)
    if error is None:
        task.succeed(raw_result="")
    else:
        task.fail(error)

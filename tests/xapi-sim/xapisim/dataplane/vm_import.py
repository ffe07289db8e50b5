"""PUT /import (reference §7.3): answers 200 before reading, then reads an XVA
(plain, gzip or zstd), creates the VM, its VBDs, VIFs and VDIs with their data, and
reports the VM refs in the task. Runs on the connection's thread; blocks on the socket."""

from . import compression, xva
from .errors import DataplaneError
from .http_common import Auth, ProgressReader, Request, TaskBinding, unauthorised
from .redirect import redirect
from .vm_creator import VmCreator


def _target_sr(port, req):
    value = req.query.get("sr_id") or req.query.get("sr_uuid")
    sr = port.resolve("SR", value) if value else port.default_sr()
    if not port.db.exists("SR", sr):
        raise DataplaneError("SR_NOT_FOUND" if not value else "HANDLE_INVALID", "SR", sr)
    if port.get("SR", sr)["content_type"] == "iso":
        raise DataplaneError("SR_OPERATION_NOT_SUPPORTED", sr)
    return sr


def handle(port, h):
    req = Request(h)
    auth = Auth(req, port)
    if not auth.session:
        unauthorised(req, "import")
        return
    task = TaskBinding(req, port, "VM import")
    try:
        _handle(req, port, task)
    finally:
        task.close()
        auth.close()


def _handle(req, port, task):
    if req.headers.get("Transfer-Encoding"):
        task.fail(DataplaneError("IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"))
        req.send_simple("403 Forbidden", headers=[("task-id:", task.ref)])
        return
    try:
        sr = _target_sr(port, req)
    except DataplaneError as err:
        task.fail(err)
        req.send_simple("400 Bad Request", headers=[("task-id:", task.ref)])
        return
    host = port.sr_remote_host(sr, req.host)
    if host:
        task.release()
        redirect(req, port, host)
        return
    req.send_head("200 OK", [("Connection", "close"), ("Cache-Control", "no-cache, no-store"),
                             ("task-id:", task.ref),
                             ("content-type", "application/octet-stream")])
    force = req.query.get("force") == "true"
    creator = VmCreator(port, sr, task.ref, restore=req.query.get("restore") == "true")
    try:
        body = ProgressReader(req.body(), req.content_length(), task)
        stream = compression.sniff_import_stream(body)
        xva.read_xva(stream, creator.on_metadata, force)
        task.succeed(value=creator.finish())
    except Exception as err:  # noqa: BLE001 - every failure ends in the task
        if not force:
            creator.rollback()
        else:
            creator.finish()
        task.fail(_as_error(err))
    finally:
        creator.close()


def _as_error(err):
    if isinstance(err, DataplaneError):
        return err
    code = getattr(err, "code", None)
    if code:  # the core's XapiError
        return DataplaneError(code, *getattr(err, "params", []))
    if isinstance(err, OSError):
        return DataplaneError("VDI_IO_ERROR", str(err))
    return DataplaneError("IMPORT_ERROR", repr(err))

"""GET /export_raw_vdi and PUT /import_raw_vdi (reference §7.4, §7.5): one disk as raw
bytes or a VHD stream, in the caller's task or an own one. Runs on the connection's
thread; blocks on the socket and the disk file."""

import struct

from . import vhd
from .diskio import DiskFile
from .errors import DataplaneError
from .http_common import Auth, ProgressReader, Request, TaskBinding, unauthorised
from .redirect import redirect

CONTENT_TYPES = {"raw": "application/octet-stream", "vhd": "application/vhd"}
VHD_MAX = 2040 << 30
COPY = 1 << 20


def _refuse(req, task, status, err, version="HTTP/1.1"):
    task.fail(err)
    req.send_simple(status, headers=[("task-id:", task.ref)], version=version)


def _with_task(label, body):
    """Authenticate, bind the task, run body(req, port, task), clean up."""
    def handler(port, h):
        req = Request(h)
        auth = Auth(req, port)
        if not auth.session:
            unauthorised(req, label)
            return
        task = TaskBinding(req, port, label)
        try:
            body(req, port, task)
        finally:
            task.close()
            auth.close()
    return handler


# ---------------------------------------------------------------------- export
def _delta_blocks(disk, base):
    """Blocks that differ from the base disk (our stand-in for 'allocated in either
    branch'), for base= exports."""
    count = (disk.size + vhd.BLOCK - 1) // vhd.BLOCK
    blocks = []
    for i in range(count):
        off, length = i * vhd.BLOCK, min(vhd.BLOCK, disk.size - i * vhd.BLOCK)
        if not disk.has_data(off, length) and not base.has_data(off, length):
            continue
        if disk.read(off, length) != base.read(off, length):
            blocks.append(i)
    return blocks


def _export(req, port, task):
    fmt = req.query.get("format", "raw") or "raw"
    try:
        vdi = port.resolve("VDI", req.query.get("vdi"))
        base = port.resolve("VDI", req.query["base"]) if req.query.get("base") else None
    except DataplaneError as err:
        return _refuse(req, task, "404 Not Found", err)
    if fmt not in CONTENT_TYPES:
        return _refuse(req, task, "404 Not Found",
                       DataplaneError("INTERNAL_ERROR", "Unknown format %s" % fmt), "HTTP/1.0")
    host = port.sr_remote_host(port.get("VDI", vdi)["SR"], req.host)
    if host:
        task.release()
        return redirect(req, port, host)
    try:
        with port.dom0_attached(vdi, "RO"):  # plugged before the answer, unplugged before the task ends
            _stream_vdi(req, port, task, fmt, vdi, base)
    except DataplaneError as err:
        return task.fail(err)
    except OSError as err:
        return task.fail(DataplaneError("VDI_IO_ERROR", str(err)))
    task.succeed(raw_result="")


def _stream_vdi(req, port, task, fmt, vdi, base):
    rec = port.get("VDI", vdi)
    req.send_head("200 OK", [("Connection", "close"), ("task-id:", task.ref),
                             ("content-type:", CONTENT_TYPES[fmt]),
                             ("content-disposition:",
                              ' attachment; filename="%s.%s"' % (rec["uuid"], fmt))])
    if fmt == "vhd" and rec["virtual_size"] > VHD_MAX:
        raise DataplaneError("VDI_TOO_LARGE", vdi, VHD_MAX)
    with DiskFile(port.vdi_path(vdi), rec["virtual_size"]) as disk:
        if fmt == "raw":
            _send_raw(req, task, disk)
        elif base is None:
            _send_all(req, task, vhd.write_vhd(disk), disk.size)
        else:
            with DiskFile(port.vdi_path(base), port.get("VDI", base)["virtual_size"]) as b:
                _send_all(req, task, vhd.write_vhd(disk, _delta_blocks(disk, b),
                                                   vhd.DISK_DIFFERENCING), disk.size)


def _send_raw(req, task, disk):
    for offset in range(0, disk.size, COPY):
        req.write(disk.read(offset, min(COPY, disk.size - offset)))
        task.tick(offset / max(1, disk.size))


def _send_all(req, task, pieces, size):
    done = 0
    for piece in pieces:
        req.write(piece)
        done += len(piece)
        task.tick(done / max(1, size))


# ---------------------------------------------------------------------- import
def _import_target(req, port, fmt):
    """The VDI to write into, creating "Imported VDI" for sr_id + raw + length."""
    if req.query.get("vdi"):
        return port.resolve("VDI", req.query["vdi"])
    length = req.content_length()
    if req.query.get("sr_id") and fmt == "raw" and length is not None:
        sr = port.resolve("SR", req.query["sr_id"])
        ref = port.db.create("VDI", {"name_label": "Imported VDI", "SR": sr, "type": "user",
                                     "virtual_size": length, "managed": True})
        port.db.set("VDI", ref, "location", port.get("VDI", ref)["uuid"])
        port.create_disk_file(ref, length)
        return ref
    raise DataplaneError("VDI_MISSING")


def _import(req, port, task):
    fmt = req.query.get("format", "raw") or "raw"
    if req.headers.get("Transfer-Encoding"):
        return _refuse(req, task, "404 Not Found",
                       DataplaneError("INTERNAL_ERROR", "Cannot handle encoding: chunked"))
    if fmt not in CONTENT_TYPES:
        return _refuse(req, task, "404 Not Found",
                       DataplaneError("INTERNAL_ERROR", "Unknown format %s" % fmt))
    if fmt != "raw" and not req.query.get("vdi"):
        return _refuse(req, task, "400 Bad Request", DataplaneError("VDI_MISSING"))
    if req.query.get("vdi"):
        try:
            target = port.resolve("VDI", req.query["vdi"])
            host = port.sr_remote_host(port.get("VDI", target)["SR"], req.host)
        except DataplaneError as err:
            return _refuse(req, task, "400 Bad Request", err)
        if host:
            task.release()
            return redirect(req, port, host)
    try:
        vdi = _import_target(req, port, fmt)
    except DataplaneError as err:
        return _refuse(req, task, "400 Bad Request", err)
    try:
        with port.dom0_attached(vdi, "RW"):
            req.send_head("200 OK", [("Connection", "close"), ("task-id:", task.ref),
                                     ("content-type", "application/octet-stream")])
            _receive(req, port, task, fmt, vdi)
    except DataplaneError as err:
        return task.fail(err)
    except OSError as err:
        return task.fail(DataplaneError("VDI_IO_ERROR", "Device I/O errors: %s" % err))
    task.succeed(value=vdi)


def _receive(req, port, task, fmt, vdi):
    with DiskFile(port.vdi_path(vdi), port.get("VDI", vdi)["virtual_size"],
                  writable=True) as disk:
        body = ProgressReader(req.body(), req.content_length(), task)
        if fmt == "vhd":
            vhd.read_vhd(body, disk)
        elif "chunked" in req.query:
            _receive_xapi_chunks(body, disk)
        else:
            _receive_raw(body, disk)


def _read_full(body, n):
    parts, left = [], n
    while left:
        piece = body.read(min(left, COPY))
        if not piece:
            break
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)


def _receive_raw(body, disk):
    offset = 0
    while True:
        data = _read_full(body, COPY)
        if not data:
            return
        if offset + len(data) > disk.size:
            raise DataplaneError("VDI_IO_ERROR", "Device I/O errors: data beyond the VDI size")
        disk.write(offset, data)
        offset += len(data)


def _receive_xapi_chunks(body, disk):
    """xapi's own framing: {offset u64 LE, length u32 LE, data}…, all-zero header ends."""
    while True:
        head = _read_full(body, 12)
        if len(head) < 12:
            raise DataplaneError("VDI_IO_ERROR", "premature end of chunked stream")
        offset, length = struct.unpack("<QI", head)
        if offset == 0 and length == 0:
            return
        data = _read_full(body, length)
        if len(data) < length:
            raise DataplaneError("VDI_IO_ERROR", "premature end of chunked stream")
        disk.write(offset, data)


handle_export = _with_task("export_raw_vdi", _export)
handle_import = _with_task("import_raw_vdi", _import)

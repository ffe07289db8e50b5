"""xapi's console handler (`CONNECT /console?ref=…|uuid=…`, ocaml/xapi/console.ml): the
session from the `session_id` query parameter or cookie (else HTTP Basic), the console
found from a VM or console ref/uuid (a VM means its RFB console), the VM running on the
host that was reached; then `HTTP/1.1 200 OK` and the console's bytes. The VNC server
behind it is a small RFB 3.8 server (3.3 also accepted): security type None, ServerInit
with the VM's name, and one raw FramebufferUpdate of a test picture for each
non-incremental request (and for the first request), in the client's pixel format.
Refusals as xapi: 401 for a missing or invalid session, 500 (`Failure`) for a request
without ref/uuid, an unknown object, a VM not running or running on another host,
404 when the console has no address."""

import base64
import http.cookies
import select
import struct
import urllib.parse

WIDTH, HEIGHT = 160, 100
NAME_MAX = 255


def register(sim):
    sim.add_route("CONNECT", "/console", lambda h: handle(h.sim, h))


def _reply(h, status, body=b"", extra=()):
    lines = ["HTTP/1.1 %s" % status, "Connection: close", "Cache-Control: no-cache, no-store",
             "content-length: %d" % len(body)] + list(extra)
    h.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    h.wfile.flush()
    h.close_connection = True


def _failure(h):
    _reply(h, "500 Internal Error",
           b"<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; "
           b"please wait a while and try again. If the problem persists, please contact your "
           b"support representative.</body></html>", ["content-type: text/html"])


def _session(sim, h, query):
    ref = query.get("session_id")
    if not ref:
        raw = h.headers.get("Cookie")
        if raw:
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(raw)
                ref = jar["session_id"].value if "session_id" in jar else None
            except http.cookies.CookieError:
                ref = None
    if ref:
        return (ref, False) if sim.check_session(ref) else (None, False)
    basic = h.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            return sim.sessions.login(user, password, "").ref, True
        except Exception:  # noqa: BLE001 - any failure is a refusal
            return None, False
    return None, False


def _console_of(sim, query):
    """The console ref (xapi: a VM ref/uuid means its default RFB console), or None."""
    db = sim.db
    ref = None
    if "uuid" in query:
        for cls in ("VM", "console"):
            try:
                ref = db.by_uuid(cls, query["uuid"])
                break
            except Exception:  # noqa: BLE001 - UUID_INVALID: try the next class
                continue
    elif "ref" in query:
        ref = query["ref"]
    if ref is None:
        return None
    cls = db.lookup_class(ref)
    if cls == "console":
        return ref
    if cls == "VM":
        for c in db.get("VM", ref)["consoles"]:
            if db.exists("console", c) and db.get("console", c)["protocol"] == "rfb":
                return c
    return None


def handle(sim, h):
    sim.count("console")
    path, _, qs = h.path.partition("?")
    if path not in ("/console", "/console/"):
        return _reply(h, "404 Not Found")
    query = {k: v[0] for k, v in urllib.parse.parse_qs(qs, keep_blank_values=True).items()}
    if "session_id" in query:
        sim.count("console_session_in_query")
    session, temporary = _session(sim, h, query)
    if session is None:
        return _reply(h, "401 Unauthorised",
                      b"<html><h1>HTTP 401 unauthorised</h1></html>",
                      ['WWW-Authenticate: Basic realm="Connection to VM console"',
                       "content-type: text/html"])
    try:
        console = _console_of(sim, query)
        if console is None:
            return _failure(h)
        rec = sim.db.get("console", console)
        vm = sim.db.get("VM", rec["VM"])
        here = getattr(sim, "host_ref", None) or sim.master_ref
        if vm["power_state"] != "Running" or vm["resident_on"] != here:
            return _failure(h)
        if rec["protocol"] != "rfb":
            return _reply(h, "404 Not Found")
        _reply_ok = ["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store"]
        h.wfile.write(("\r\n".join(_reply_ok) + "\r\n\r\n").encode("latin-1"))
        h.wfile.flush()
        h.close_connection = True
        sim.count("console_open")
        # The display lives as long as the console object (the VM's domain): when the VM
        # stops, xapi's proxy sees the VNC server go and the connection closes.
        RfbServer(h.connection, vm["name_label"], lambda: sim.db.exists("console", console)).run()
    except (ConnectionError, OSError, EOFError):
        pass
    finally:
        try:
            h.connection.shutdown(2)
        except OSError:
            pass
        if temporary:
            sim.sessions.logout(session)


class RfbServer:
    """Enough of RFB 3.8 (RFC 6143) for noVNC to connect and draw one picture."""

    def __init__(self, sock, name, alive):
        # The socket itself, not the request handler's buffered reader: a client sends
        # nothing before the server's version, so no RFB byte sits in that buffer.
        self.sock, self.alive = sock, alive
        self.name = name.encode("utf-8")[:NAME_MAX]
        # ServerInit's pixel format until the client sets its own: 32 bpp, depth 24,
        # little-endian, true colour, 8 bits per channel (red shift 16).
        self.fmt = (32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
        self.sent_once = False

    def read(self, n):
        data = b""
        while len(data) < n:
            if not select.select([self.sock], [], [], 0.5)[0]:
                if not self.alive():
                    raise EOFError
                continue
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def send(self, data):
        self.sock.sendall(data)

    def handshake(self):
        self.send(b"RFB 003.008\n")
        version = self.read(12)
        if version == b"RFB 003.003\n":
            self.send(struct.pack(">I", 1))            # 3.3: the server picks None
        else:
            self.send(bytes([1, 1]))                    # one security type: None
            if self.read(1) != b"\x01":
                reason = b"security type not supported"
                self.send(struct.pack(">I", 1) + struct.pack(">I", len(reason)) + reason)
                raise EOFError
            if version == b"RFB 003.008\n":
                self.send(struct.pack(">I", 0))        # SecurityResult OK (3.7 has none)
        self.read(1)                                    # ClientInit (shared flag)
        self.send(struct.pack(">HH", WIDTH, HEIGHT) + struct.pack(">BBBBHHHBBB3x", *self.fmt)
                  + struct.pack(">I", len(self.name)) + self.name)

    def pixel(self, r, g, b):
        bpp, _depth, big, _tc, rmax, gmax, bmax, rs, gs, bs = self.fmt
        v = ((r * rmax // 255) << rs) | ((g * gmax // 255) << gs) | ((b * bmax // 255) << bs)
        return v.to_bytes(bpp // 8, "big" if big else "little")

    def picture(self):
        """Four vertical bands: red, green, blue, white (a client can check any pixel)."""
        bands = [self.pixel(255, 0, 0), self.pixel(0, 255, 0), self.pixel(0, 0, 255),
                 self.pixel(255, 255, 255)]
        row = b"".join(bands[x * 4 // WIDTH] for x in range(WIDTH))
        return row * HEIGHT

    def update(self):
        head = struct.pack(">BxH", 0, 1) + struct.pack(">HHHHi", 0, 0, WIDTH, HEIGHT, 0)
        self.send(head + self.picture())
        self.sent_once = True

    def run(self):
        self.handshake()
        while True:
            kind = self.read(1)[0]
            if kind == 0:                               # SetPixelFormat
                f = struct.unpack(">3xBBBBHHHBBB3x", self.read(19))
                if f[0] in (8, 16, 32) and f[3] == 1:
                    self.fmt = f
            elif kind == 2:                             # SetEncodings
                _pad, count = struct.unpack(">BH", self.read(3))
                self.read(4 * count)
            elif kind == 3:                             # FramebufferUpdateRequest
                incremental = self.read(9)[0]
                if not incremental or not self.sent_once:
                    self.update()
            elif kind == 4:                             # KeyEvent
                self.read(7)
            elif kind == 5:                             # PointerEvent
                self.read(5)
            elif kind == 6:                             # ClientCutText
                _pad, length = struct.unpack(">3sI", self.read(7))
                self.read(length)
            else:
                return                                  # unknown message: a real server closes too

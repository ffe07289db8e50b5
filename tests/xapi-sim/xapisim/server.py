"""HTTP front: XML-RPC (POST /, any path falling to it), JSON-RPC (POST /jsonrpc),
the control endpoint (/_sim/…, see control.py) and the data-plane routes registered
in Simulator.routes. One thread per connection (ThreadingHTTPServer), HTTP/1.1
keep-alive, so long-polling event.from never blocks other calls."""
import http.server
import socket
import socketserver
import ssl
import threading
import time

from . import wire
from .wire import XapiError, MalformedRequest

MAX_BODY = 300 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapi-sim"
    sim = None  # set on the subclass made per server

    def log_message(self, fmt, *args):  # quiet: tests read stdout for the ready line
        pass

    def handle_expect_100(self):
        # xapi never answers "100 Continue": it sends the final answer, then reads.
        return True

    # ------------------------------------------------------------------ helpers
    def wants_close(self):
        conn = (self.headers.get("Connection") or "").lower()
        return self.request_version == "HTTP/1.0" or conn == "close"

    def send_raw(self, status, body, content_type, extra=None, close=None):
        """Write a complete response with xapi's header style (lower-case names).
        body: bytes, str, or a list of str pieces (big dumps: encoded in batches)."""
        if isinstance(body, list):
            length, chunks = wire.encode_parts(body)
        else:
            if isinstance(body, str):
                body = body.encode("utf-8")
            length, chunks = len(body), [body]
        close = self.wants_close() if close is None else close
        reason = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorised",
                  403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
                  501: "Not Implemented"}.get(status, "Status")
        lines = ["HTTP/1.1 %d %s" % (status, reason),
                 "content-length: %d" % length,
                 "content-type: %s" % content_type,
                 "connection: %s" % ("close" if close else "keep-alive"),
                 "cache-control: no-cache, no-store",
                 "Access-Control-Allow-Origin: *",
                 "Access-Control-Allow-Headers: X-Requested-With"]
        for k, v in (extra or {}).items():
            lines.append("%s: %s" % (k, v))
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for c in chunks:
            self.wfile.write(c)
        self.wfile.flush()
        self.close_connection = close

    def send_500(self, text):
        body = ("<html><body><h1>HTTP 500 internal server error</h1>An unexpected error "
                "occurred; please wait a while and try again. If the problem persists, "
                "please contact your support representative.<h1> Additional information "
                "</h1>%s</body></html>" % wire._xml_escape(text))
        self.send_raw(500, body, "text/html", close=True)

    def read_body(self):
        """The request body; None after answering 500 (missing/too large length)."""
        length = self.headers.get("Content-Length")
        if length is None or self.headers.get("Transfer-Encoding"):
            self.send_500("Http.Unimplemented(\"Missing content-length\")")
            return None
        try:
            n = int(length)
        except ValueError:
            self.send_500("Http.Client_requested_size_over_limit")
            return None
        if n > MAX_BODY:
            self.send_500("Http.Client_requested_size_over_limit")
            return None
        return self.rfile.read(n)

    def path_only(self):
        return self.path.split("?", 1)[0]

    # ------------------------------------------------------------------ verbs
    def do_POST(self):
        path = self.path_only()
        if path.startswith("/_sim/"):
            from . import control
            return control.handle(self, path)
        handler = self.sim.find_route("POST", path)
        if handler is not None:
            return handler(self)
        body = self.read_body()
        if body is None:
            return
        if path.startswith("/jsonrpc") and self.sim.config.jsonrpc:
            self.sim.count("jsonrpc")
            return self.rpc_json(body)
        if path.startswith("/json"):
            self.sim.count("json_legacy")
            return self.rpc_legacy_json(body)
        self.sim.count("xmlrpc")
        return self.rpc_xml(body)

    def do_GET(self):
        path = self.path_only()
        if path.startswith("/_sim/"):
            from . import control
            return control.handle(self, path)
        handler = self.sim.find_route("GET", path)
        if handler is not None:
            return handler(self)
        self.send_raw(403, "<html><body><h1>403 Forbidden</h1></body></html>", "text/html")

    def do_PUT(self):
        handler = self.sim.find_route("PUT", self.path_only())
        if handler is not None:
            return handler(self)
        self.send_raw(403, "<html><body><h1>403 Forbidden</h1></body></html>", "text/html",
                      close=True)

    def do_OPTIONS(self):
        self.send_raw(200, b"", "text/plain")

    def do_HEAD(self):
        handler = self.sim.find_route("HEAD", self.path_only())
        if handler is not None:
            return handler(self)
        self.send_raw(403, b"", "text/html")

    def do_CONNECT(self):
        handler = self.sim.find_route("CONNECT", self.path_only())
        if handler is not None:
            return handler(self)
        self.send_raw(501, b"", "text/html", close=True)

    # ------------------------------------------------------------------ RPC
    def dropped(self, method):
        if self.sim.faults.should_drop(method):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        return False

    def rpc_xml(self, body):
        try:
            method, params = wire.parse_xml_call(body)
        except MalformedRequest as e:
            return self.send_500(str(e))
        if self.dropped(method):
            return
        if method == "system.listMethods" and not self.sim.booting():
            return self.send_raw(200, wire.xml_bare(self.sim.api.list_methods()), "text/xml")
        try:
            text = wire.xml_success_parts(self.sim.call(method, params))
        except XapiError as e:
            text = wire.xml_failure(e)
        except Exception as e:  # simulator bug → INTERNAL_ERROR, like xapi
            text = wire.xml_failure(XapiError("INTERNAL_ERROR", repr(e)))
        self.send_raw(200, text, "text/xml")

    def rpc_json(self, body):
        try:
            version, method, params, rid = wire.parse_json_call(body)
        except MalformedRequest as e:
            return self.send_500(str(e))
        if self.dropped(method):
            return
        try:
            text = wire.json_success_parts(version, rid, self.sim.call(method, params))
        except XapiError as e:
            text = wire.json_failure(version, rid, e)
        except Exception as e:
            text = wire.json_failure(version, rid, XapiError("INTERNAL_ERROR", repr(e)))
        self.send_raw(200, text, "application/json")

    def rpc_legacy_json(self, body):
        # POST /json: JSON body, XML-RPC semantics and answer (very old hosts).
        try:
            version, method, params, rid = wire.parse_json_call(body)
        except MalformedRequest as e:
            return self.send_500(str(e))
        try:
            text = wire.xml_success(self.sim.call(method, params))
        except XapiError as e:
            text = wire.xml_failure(e)
        self.send_raw(200, text, "text/xml")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.live = set()              # open client connections (closed on "restart")
        self.live_lock = threading.Lock()

    def process_request(self, request, client_address):
        # As real servers (xapi included) do: without it a response written in two pieces
        # (headers, then body) waits for the client's delayed ACK (~40 ms) on a kept-alive
        # connection (Nagle's algorithm).
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        with self.live_lock:
            self.live.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.live_lock:
            self.live.discard(request)
        super().shutdown_request(request)

    def drop_all(self, keep=None):
        with self.live_lock:
            conns = [c for c in self.live if c is not keep]
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Front:
    """Owns the listening server; can stop listening for a while ("restart")."""

    def __init__(self, sim, host, port, ssl_ctx=None):
        self.sim = sim
        self.host = host
        self.ssl_ctx = ssl_ctx
        self.handler = type("BoundHandler", (Handler,), {"sim": sim})
        self.lock = threading.Lock()
        self.server = None
        self.thread = None
        self._listen(port)
        self.port = self.server.server_address[1]

    def _listen(self, port):
        srv = Server((self.host, port), self.handler, bind_and_activate=False)
        srv.allow_reuse_address = True
        srv.server_bind()
        srv.server_activate()
        if self.ssl_ctx is not None:
            srv.socket = self.ssl_ctx.wrap_socket(srv.socket, server_side=True,
                                                  do_handshake_on_connect=False)
        self.server = srv
        self.thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="http", daemon=True)
        self.thread.start()

    def refuse_for(self, seconds, keep=None):
        """Close the listening socket (connection refused), re-open after `seconds`.
        `keep`: a connection not to cut (the control request that asked for it: its answer
        may not be written yet)."""
        def run():
            with self.lock:
                srv = self.server
                srv.shutdown()
                srv.server_close()
                srv.drop_all(keep)   # a restarting xapi also cuts open connections
                time.sleep(seconds)
                for _ in range(50):
                    try:
                        self._listen(self.port)
                        return
                    except OSError:
                        time.sleep(0.1)
        threading.Thread(target=run, name="refuse", daemon=True).start()

    def stop(self):
        with self.lock:
            self.server.shutdown()
            self.server.server_close()


def make_ssl_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx

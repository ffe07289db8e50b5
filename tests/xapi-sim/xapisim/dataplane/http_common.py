"""Shared HTTP plumbing of the data plane handlers (reference §7.1): the parsed
request, raw response heads in xapi's style, authentication, task binding, body
reading with Content-Length. Used on the simulator's per-connection thread."""

import base64
import http.cookies
import time
import urllib.parse

from .errors import DataplaneError

SERVER = "xapi/23.1"


class Request:
    """What the handlers need from the simulator's HTTP request handler `h`
    (BaseHTTPRequestHandler-like: command, path, headers, rfile, wfile)."""

    def __init__(self, h):
        self.h = h
        self.method = h.command
        self.raw_path = h.path
        path, _, query = h.path.partition("?")
        self.path = path
        self.query_string = query
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        self.headers = h.headers
        self.head_sent = False
        # The pool member this request reached: a supporter's listener (the core's
        # SupporterView) has host_ref; the main listener is the master (None).
        self.host = getattr(getattr(h, "sim", None), "host_ref", None)

    def cookie(self, name):
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(raw)
        except http.cookies.CookieError:
            return None
        return jar[name].value if name in jar else None

    def send_head(self, status, headers, version="HTTP/1.1"):
        """Write a status line and headers verbatim (xapi's casing, no Date)."""
        lines = ["%s %s" % (version, status)]
        lines += ["%s%s" % (k, v) if k.endswith(":") else "%s: %s" % (k, v)
                  for k, v in headers]
        self.h.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.h.wfile.flush()
        self.head_sent = True
        self.h.close_connection = True

    def send_simple(self, status, body=b"", headers=(), version="HTTP/1.1"):
        heads = [("Connection", "close"), ("Cache-Control", "no-cache, no-store"),
                 ("content-length", str(len(body)))] + list(headers)
        self.send_head(status, heads, version)
        if body:
            self.h.wfile.write(body)

    def write(self, data):
        self.h.wfile.write(data)

    def content_length(self):
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def body(self):
        return BodyReader(self.h.rfile, self.content_length())


class BodyReader:
    """The request body: at most Content-Length bytes, or up to EOF when absent; a
    connection cut (XO's 1 PiB Content-Length trick) reads as EOF."""

    def __init__(self, rfile, length):
        self.rfile_ = rfile
        self.left_ = length
        self.total = 0

    def read(self, n=-1):
        if self.left_ is not None:
            if self.left_ <= 0:
                return b""
            n = self.left_ if n < 0 else min(n, self.left_)
        try:
            data = self.rfile_.read1(n if n >= 0 else 1 << 20) if hasattr(self.rfile_, "read1") \
                else self.rfile_.read(n)
        except (ConnectionError, OSError):
            data = b""
        if self.left_ is not None:
            self.left_ -= len(data)
        self.total += len(data)
        if not data:
            self.left_ = 0
        return data


class ProgressReader:
    """Wraps a body: ticks the task with bytes read / Content-Length (no fraction for
    XO's 1 PiB placeholder length), so progress shows and task.cancel stops the upload."""

    def __init__(self, inner, length, task):
        self.inner_ = inner
        self.length_ = length if length and length < (1 << 49) else None
        self.task_ = task
        self.done_ = 0

    def read(self, n=-1):
        data = self.inner_.read(n)
        self.done_ += len(data)
        self.task_.tick(self.done_ / self.length_ if self.length_ else None)
        return data


def unauthorised(req, realm):
    body = ("<html><h1>HTTP 401 unauthorised</h1>The session_id or credentials were "
            "not valid for %s.</html>" % realm).encode()
    req.send_simple("401 Unauthorised", body,
                    [("WWW-Authenticate", 'Basic realm="%s"' % realm),
                     ("content-type", "text/html")])


class Auth:
    """session_id from the query or the cookie, else HTTP Basic (temporary session,
    logged out by close()). `session` is None when authentication failed."""

    def __init__(self, req, api):
        self.api_ = api
        self.temporary_ = False
        self.session = None
        ref = req.query.get("session_id") or req.cookie("session_id")
        if ref and api.session_valid(ref):
            self.session = ref
            return
        basic = req.headers.get("Authorization", "")
        if not ref and basic.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
                self.session = api.login(user, password)
                self.temporary_ = True
            except Exception:  # noqa: BLE001 - any failure is a refusal
                self.session = None

    def close(self):
        if self.temporary_ and self.session:
            self.api_.logout(self.session)


class TaskBinding:
    """The task a handler works in: the caller's task_id (completed, never destroyed)
    or an own task reported in the task-id header and destroyed at the end."""

    def __init__(self, req, api, label):
        self.api_ = api
        given = req.query.get("task_id")
        if given and api.task_exists(given):
            self.ref = given
            self.own = False
        else:
            self.ref = api.task_create(label)
            self.own = True
        self.done = False
        self.last_tick_ = time.monotonic()

    def succeed(self, value=None, raw_result=None):
        self.api_.task_complete(self.ref, value, raw_result)
        self.done = True

    def fail(self, err):
        if not isinstance(err, DataplaneError):
            err = DataplaneError("INTERNAL_ERROR", str(err))
        self.api_.task_fail(self.ref, err.code, err.params)
        self.done = True

    def release(self):
        """Leave the task untouched (the request was redirected elsewhere)."""
        self.done = True

    def progress(self, value):
        self.api_.task_progress(self.ref, value)

    def tick(self, fraction=None):
        """Call often during a transfer: about once a second the progress is stored and
        TASK_CANCELLED raised if someone called task.cancel."""
        now = time.monotonic()
        if now - self.last_tick_ < 1.0:
            return
        self.last_tick_ = now
        if fraction is not None:
            self.progress(min(0.99, max(0.0, fraction)))
        if self.api_.task_cancelled(self.ref):
            raise DataplaneError("TASK_CANCELLED", self.ref)

    def close(self):
        if not self.done:
            self.fail(DataplaneError("INTERNAL_ERROR", "handler ended without a result"))
        if self.own:
            self.api_.task_destroy(self.ref)

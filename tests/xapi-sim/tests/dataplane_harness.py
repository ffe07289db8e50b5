"""Test harness for the data plane's over-the-wire tests: starts the simulator as a
subprocess on a free port with its own state dir, XML-RPC calls through Python's
xmlrpc.client, raw HTTP requests, task polling. Stops and cleans up what it started."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.environ.get("XAPI_SIM_BIN") or os.path.join(HERE, "..", "xapi-sim")
USER, PASSWORD = "root", "secret"


class XapiFailure(Exception):
    def __init__(self, description):
        super().__init__(description)
        self.description = description


class Simulator:
    def __init__(self, *args):
        self.state_dir = tempfile.mkdtemp(prefix="dataplane-sim-")
        cmd = ["/usr/bin/python3", SIM, "--port", "0", "--state-dir", self.state_dir,
               "--user", USER, "--password", PASSWORD] + list(args)
        self.log = tempfile.TemporaryFile(prefix="dataplane-sim-log-")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.stop()
            raise RuntimeError("simulator did not start: %r\n%s" % (line, self.stderr()))
        self.url = line.split("listening on", 1)[1].strip()
        parsed = urllib.parse.urlparse(self.url)
        self.host, self.port = parsed.hostname, parsed.port
        self.proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        self.session = self.call_raw("session.login_with_password", USER, PASSWORD)

    def connect(self):
        return socket.create_connection((self.host, self.port), timeout=120)

    def stop(self):
        proxy = getattr(self, "proxy", None)
        if proxy is not None:
            proxy("close")()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def stderr(self):
        """What the simulator wrote to stderr so far."""
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    # ------------------------------------------------------------------ RPC
    def call_raw(self, method, *params):
        fn = self.proxy
        for part in method.split("."):
            fn = getattr(fn, part)
        answer = fn(*params)
        if answer.get("Status") != "Success":
            raise XapiFailure(answer.get("ErrorDescription"))
        return answer.get("Value")

    def call(self, method, *params):
        return self.call_raw(method, self.session, *params)

    def wait_task(self, task, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rec = self.call("task.get_record", task)
            if rec["status"] not in ("pending", "cancelling"):
                return rec
            time.sleep(0.05)
        raise AssertionError("task %s still pending" % task)

    def task_exists(self, task):
        try:
            self.call("task.get_record", task)
            return True
        except XapiFailure as err:
            if err.description[0] == "HANDLE_INVALID":
                return False
            raise

    def disk_path(self, vdi):
        return os.path.join(self.state_dir, self.call("VDI.get_uuid", vdi) + ".raw")

    # ------------------------------------------------------------------ HTTP
    def query(self, path, **params):
        params.setdefault("session_id", self.session)
        params = {k: v for k, v in params.items() if v is not None}
        return path + "?" + urllib.parse.urlencode(params)

    def get(self, target, headers=None):
        """(status, headers dict lower-case, body, raw status line)"""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request("GET", target, headers=headers or {})
            resp = conn.getresponse()
            body = resp.read()
            heads = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, heads, body, resp.version
        finally:
            conn.close()

    def raw_request(self, method, target, body=b"", headers=None, length=None, cut=False):
        """Send a request over a plain socket; `length` overrides Content-Length and
        `cut` half-closes the socket after the body (XO's unknown-length trick).
        Returns (status code, headers dict lower-case, body)."""
        sock = socket.create_connection((self.host, self.port), timeout=120)
        try:
            heads = {"Host": "%s:%d" % (self.host, self.port)}
            if length is not False:
                heads["Content-Length"] = str(len(body) if length is None else length)
            heads.update(headers or {})
            head = "%s %s HTTP/1.1\r\n" % (method, target)
            head += "".join("%s: %s\r\n" % kv for kv in heads.items()) + "\r\n"
            sock.sendall(head.encode())
            try:
                sock.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if cut:
                sock.shutdown(socket.SHUT_WR)
            return parse_response(recv_all(sock))
        finally:
            sock.close()


def recv_all(sock):
    parts = []
    while True:
        try:
            piece = sock.recv(1 << 16)
        except ConnectionResetError:
            break
        if not piece:
            break
        parts.append(piece)
    return b"".join(parts)


def parse_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    heads = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        heads[k.strip().lower()] = v.strip()
    return status, heads, body


def files_equal(a, b):
    """qemu-img compare of two raw images (fast on sparse files)."""
    result = subprocess.run(["qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", a, b])
    return result.returncode == 0

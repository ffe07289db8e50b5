"""What a first-time operator of a real pool meets (issue 21), through the real stack: a
pool whose master accepts TCP but never answers (it must not delay or hide another pool, and
the log must name it with what it waits for), a host answering 404 to JSON-RPC (logged as
what it answered)."""
import os
import socket
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import APP, ROOT, Sim, Stack, wait_until  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402


class SilentListener:
    """Accepts TCP connections and never answers; records when each is accepted and closed."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.accepted, self.closed, self.stop_flag = [], [], False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop_flag:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(time.monotonic())
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn):
        with conn:
            while True:
                try:
                    if not conn.recv(65536):  # read the request, answer nothing
                        break
                except OSError:
                    break
        self.closed.append(time.monotonic())

    def stop(self):
        self.stop_flag = True
        self.sock.close()


class NotFoundHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body>404 Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class SilentPoolTest(unittest.TestCase):
    def test_a_silent_pool_neither_delays_nor_hides_another_and_is_named_in_the_log(self):
        silent = SilentListener()
        old = ThreadingHTTPServer(("127.0.0.1", 0), NotFoundHandler)
        threading.Thread(target=old.serve_forever, daemon=True).start()
        old_url = "http://127.0.0.1:%d" % old.server_address[1]
        extra = "\n".join(['[[pool]]', 'name = "silent"', 'url = "%s"' % silent.url, 'user = "root"',
                           'password = "x"', 'tls = "insecure"',
                           '[[pool]]', 'name = "old404"', 'url = "%s"' % old_url, 'user = "root"',
                           'password = "x"', 'tls = "insecure"'])
        s = Stack(vms=10, hosts=1, extra_config=extra, wait=False)
        try:
            # The other pool is served in full while the silent master still holds the first
            # login connection open (order of events, not a time window).
            wait_until(lambda: s.get("/rest/v0/vms", token=s.token).status == 200 and
                       len(s.api("/rest/v0/vms")) == 10, 60, "pool0's VMs")
            served_at = time.monotonic()
            self.assertTrue(silent.accepted, "the silent master was connected to")
            self.assertTrue(not silent.closed or served_at < silent.closed[0],
                            "pool0 was served only after the silent pool's first login ended")
            servers = {x["id"]: x for x in s.api("/rest/v0/servers?fields=id,status,error")}
            self.assertEqual(servers["pool0"]["status"], "connected")
            self.assertEqual(servers["silent"]["status"], "disconnected")
            self.assertIn("no answer from %s to session.login_with_password" % silent.url,
                          servers["silent"]["error"])
            log = s.log_text()
            self.assertIn("pool silent stalled: no answer from %s to session.login_with_password" % silent.url, log)
            # A change in pool0 still shows while the silent pool stays silent.
            vm = s.api("/rest/v0/vms?fields=uuid&limit=1")[0]
            s.sims[0].control("rename", {"ref": vm["uuid"], "name": "while-silent"})
            wait_until(lambda: s.api(vm["href"])["name_label"] == "while-silent", 20, "the rename")
            # The 404 host: said as seen, then XML-RPC tried.
            wait_until(lambda: "answered POST /jsonrpc with" in s.log_text(), 30, "the 404 host's log line")
            self.assertIn("host %s answered POST /jsonrpc with HTTP 404, content-type text/html; trying XML-RPC"
                          % old_url, s.log_text())
            self.assertEqual(servers["old404"]["status"], "disconnected")
        finally:
            s.stop()
            silent.stop()
            old.shutdown()

    def test_the_login_bound_ends_an_unanswered_login_and_retries(self):
        silent = SilentListener()
        extra = "\n".join(['[[pool]]', 'name = "silent"', 'url = "%s"' % silent.url, 'user = "root"',
                           'password = "x"', 'tls = "insecure"', 'login_timeout = 2'])
        s = Stack(vms=5, hosts=1, extra_config=extra, wait=False)
        try:
            # The first login connection is given up (closed by us) and a new attempt is made.
            wait_until(lambda: silent.closed and len(silent.accepted) >= 2, 60, "the login bound and a retry")
            self.assertGreaterEqual(silent.closed[0] - silent.accepted[0], 1.5)  # not before the bound
            wait_until(lambda: "retrying" in (s.api("/rest/v0/servers/silent").get("error") or ""), 30,
                       "the failure in /servers")
            self.assertIn("timeout", s.api("/rest/v0/servers/silent")["error"].lower())
            self.assertEqual(len(s.api("/rest/v0/vms")), 5)
        finally:
            s.stop()
            silent.stop()


def readme_block(marker):
    """The ```sh block right after `<!-- tested: MARKER -->` in README.md."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"<!-- tested: %s -->\n```sh\n(.*?)```" % re.escape(marker), text, re.S)
    if m is None:
        raise AssertionError("README.md has no tested block " + marker)
    return m.group(1)


class RealPoolWalkthroughTest(unittest.TestCase):
    """README's "Connecting a real XCP-ng pool" against the simulator's --tls (a self-signed
    certificate, as XCP-ng's): the documented command prints the pin, the pinned config
    synchronises, `verify` and a wrong pin are refused with the reason in /servers."""

    def test_the_documented_fingerprint_command_pins_the_master(self):
        folder = tempfile.mkdtemp(prefix="xr-walk-")
        sim = Sim(folder, 5, 1, 3, "pw0", ["--tls"])
        stacks = []
        try:
            host, port = re.match(r"https://([^:]+):(\d+)", sim.url).groups()
            script = readme_block("pool-walkthrough")
            self.assertIn("H=xcp-master.example.org; P=443", script)
            script = script.replace("H=xcp-master.example.org; P=443", "H=%s; P=%s" % (host, port))
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            line = r.stdout.strip()
            self.assertRegex(line, r'^fingerprint = "sha256//[A-Za-z0-9+/]{43}="$')
            # `xapi-rest pool-fingerprint` prints the same key (and the tls line) without openssl.
            ours = subprocess.run([APP, "pool-fingerprint", "%s:%s" % (host, port)], capture_output=True,
                                  text=True, timeout=30)
            self.assertEqual(ours.returncode, 0, ours.stderr)
            self.assertEqual(ours.stdout.splitlines(), ['tls = "fingerprint"', line])
            self.assertIn("NOT verified", ours.stderr)
            self.assertRegex(ours.stderr, r"certificate SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}")
            good = Stack.attach([sim], tls_lines=ours.stdout.splitlines())
            stacks.append(good)  # attach waits until the pool is connected and synchronised
            self.assertEqual(len(good.api("/rest/v0/vms")), 5)
            for tls, why in ((['tls = "fingerprint"', 'fingerprint = "sha256//%s="' % ("A" * 43)], "pinned"),
                             (['tls = "verify"'], "certificate")):
                bad = Stack.attach([sim], tls_lines=tls, wait=False)
                stacks.append(bad)
                wait_until(lambda: bad.api("/rest/v0/servers/pool0").get("error"), 30, "the TLS error")
                server = bad.api("/rest/v0/servers/pool0")
                self.assertEqual(server["status"], "disconnected", tls)
                self.assertIn(why, server["error"].lower(), (tls, server["error"]))
        finally:
            for st in stacks:
                st.stop()
            sim.stop()
            subprocess.run(["rm", "-rf", folder])


    def test_pool_fingerprint_refuses_bad_targets_with_the_reason(self):
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there now
        silent = SilentListener()  # accepts TCP, never answers the TLS hello
        try:
            for args, why in ((["no host!"], "not a host[:port]"),
                              (["127.0.0.1:%d" % port], "Connection refused"),
                              (["127.0.0.1:99999"], "not a host[:port]"),
                              (["127.0.0.1:1", "--timeout", "0"], "--timeout"),
                              ([silent.url.replace("http://", ""), "--timeout", "1"], "TLS handshake")):
                started = time.monotonic()
                r = subprocess.run([APP, "pool-fingerprint"] + args, capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, (args, r.stdout, r.stderr))
                self.assertIn(why, r.stderr, args)
                self.assertEqual(r.stdout, "", args)  # nothing a script could paste into a config
                self.assertLess(time.monotonic() - started, 10, args)
        finally:
            silent.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""The VM console (issue 20): WebSocket /api/consoles/<vm id> through nginx to the stream
role's console socket, bridged to the simulator's xapi console handler (CONNECT with the
session as a cookie) and its RFB 3.8 server. A small RFB client does the handshake and
reads one framebuffer update; refusals (no credentials, cross-site Origin, bad/unknown/
halted VM, not a WebSocket, non-admin) answer before anything reaches XAPI; both sides'
closes end the bridge cleanly."""
import os
import signal
import sys
import time
import unittest
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../xapi-sim/tests"))
from rfb_client import RfbClient  # noqa: E402
from stack import Stack, wait_until  # noqa: E402
from ws_client import WsClient  # noqa: E402


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=8, hosts=2, seed=5, workers=1, threads=2)
        sim = cls.s.sims[0]
        cls.xapi = xmlrpc.client.ServerProxy(sim.url, allow_none=True)
        cls.session = cls.xcall("session.login_with_password", "root", sim.password, "1.0", "console-test")
        cls.vms = cls.s.api("/rest/v0/vms?fields=id,name_label,power_state,$container,_xapiRef")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    @classmethod
    def xcall(cls, method, *args):
        r = getattr(cls.xapi, method)(*args) if method.startswith("session.") else \
            getattr(cls.xapi, method)(cls.session, *args)
        if r["Status"] != "Success":
            raise AssertionError("%s: %r" % (method, r["ErrorDescription"]))
        return r["Value"]

    def origin(self):
        return "http://127.0.0.1:%d" % self.s.port

    def open(self, vm_id, token=True, **headers):
        h = {"Origin": self.origin()}
        if token:
            h["Cookie"] = "authenticationToken=" + self.s.token
        h.update(headers)
        ws = WsClient(self.s.port, "/api/consoles/" + vm_id, h)
        self.addCleanup(ws.shutdown)
        return ws

    def running(self):
        return [v for v in self.vms if v["power_state"] == "Running"]

    def sim_requests(self):
        return self.s.sims[0].control("info")["requests"]

    def rfb(self, ws, vm):
        c = RfbClient(ws.recv, ws.sendall)
        c.handshake()
        self.assertEqual(c.name, vm["name_label"])
        pixels = c.framebuffer()
        self.assertEqual(len(pixels), c.width * c.height * 4)
        self.assertEqual(c.pixel(pixels, 0, 0), (255, 0, 0))
        self.assertEqual(c.pixel(pixels, c.width - 1, c.height - 1), (255, 255, 255))
        return c

    def test_rfb_handshake_and_one_update_then_client_close(self):
        vm = self.running()[0]
        before = self.sim_requests()
        ws = self.open(vm["id"])
        self.assertEqual(ws.status, 101, ws.body)
        self.assertEqual(ws.headers.get("sec-websocket-accept"), ws.expected_accept())
        self.assertEqual(ws.headers.get("sec-websocket-protocol"), "binary")
        self.rfb(ws, vm)
        ws.close(1000)
        self.assertEqual(ws.wait_close()[0], 1000)  # echoed
        self.assertTrue(ws.eof())
        after = self.sim_requests()
        self.assertEqual(after.get("console_open", 0), before.get("console_open", 0) + 1)
        # the session went as a cookie, never in xapi's URL
        self.assertEqual(after.get("console_session_in_query", 0), 0)

    def test_every_running_vm_on_either_host(self):
        # The location names the VM's host (127.0.0.1 or the supporter 127.0.0.2):
        # the tunnel goes there, with the pool's scheme and port.
        hosts = set()
        for vm in self.running():
            ws = self.open(vm["id"])
            self.assertEqual(ws.status, 101, (vm["name_label"], ws.body))
            self.rfb(ws, vm)
            ws.close()
            ws.wait_close()
            hosts.add(vm["$container"])
        self.assertGreaterEqual(len(hosts), 2, "the seed should spread running VMs over both hosts")

    def test_basic_credentials_and_no_origin_are_accepted(self):
        vm = self.running()[0]
        import base64
        basic = "Basic " + base64.b64encode(b"admin:" + self.s.admin_password.encode()).decode()
        ws = WsClient(self.s.port, "/api/consoles/" + vm["id"], {"Authorization": basic})
        self.addCleanup(ws.shutdown)
        self.assertEqual(ws.status, 101, ws.body)
        RfbClient(ws.recv, ws.sendall).handshake()

    def test_refusals(self):
        vm = self.running()[0]
        halted = [v for v in self.vms if v["power_state"] == "Halted"][0]
        before = self.sim_requests().get("console", 0)
        cases = [
            ("no credentials", vm["id"], dict(token=False), 401, "missing credentials"),
            ("bad token", vm["id"], dict(token=False, Cookie="authenticationToken=nope"), 401, None),
            ("cross-site Origin", vm["id"], dict(Origin="http://evil.example"), 403, "cross-site"),
            ("other port", vm["id"], dict(Origin="http://127.0.0.1:1"), 403, "cross-site"),
            ("https origin on http", vm["id"], dict(Origin="https://127.0.0.1:%d" % self.s.port), 403, None),
            ("null origin", vm["id"], dict(Origin="null"), 403, None),
            ("unknown VM", "00000000-0000-0000-0000-000000000000", {}, 404, "no such VM"),
            ("not a uuid", "abc", {}, 400, "invalid VM id"),
            ("halted VM", halted["id"], {}, 409, "not running"),
            ("no Sec-WebSocket-Key", vm["id"], {"Sec-WebSocket-Key": None}, 400, "Sec-WebSocket-Key"),
            ("old version", vm["id"], {"Sec-WebSocket-Version": "8"}, 400, "Version"),
        ]
        for what, vm_id, kw, status, text in cases:
            with self.subTest(what):
                ws = self.open(vm_id, **kw)
                self.assertEqual(ws.status, status, ws.body)
                body = ws.body.decode()
                self.assertIn('"error"', body)
                if text:
                    self.assertIn(text, body)
        # none of them reached xapi's console handler
        self.assertEqual(self.sim_requests().get("console", 0), before)

    def test_plain_get_is_not_a_console(self):
        r = self.s.get("/api/consoles/" + self.running()[0]["id"], token=self.s.token)
        self.assertEqual(r.status, 400)
        self.assertIn("WebSocket", r.json()["error"])

    def test_non_admin_is_forbidden(self):
        self.s.cli(["user", "add", "viewer", "--permission", "none"], stdin="viewer-pw\n")
        token = self.s.cli(["token", "create", "--user", "viewer"]).strip()
        ws = self.open(self.running()[0]["id"], token=False, Cookie="authenticationToken=" + token)
        self.assertEqual(ws.status, 403, ws.body)

    def test_vm_stopping_closes_the_console_cleanly(self):
        vm = [v for v in self.running()][-1]
        ws = self.open(vm["id"])
        self.assertEqual(ws.status, 101, ws.body)
        RfbClient(ws.recv, ws.sendall).handshake()
        self.xcall("VM.hard_shutdown", vm["_xapiRef"])
        try:
            self.assertEqual(ws.wait_close(), (1000, "console closed"))
            self.assertTrue(ws.eof())
        finally:
            self.xcall("VM.start", vm["_xapiRef"], False, True)
            wait_until(lambda: self.s.api("/rest/v0/vms/%s?fields=power_state" % vm["id"])["power_state"]
                       == "Running", 20, "the VM to run again")

    def test_stream_role_stopping_sends_going_away(self):
        vm = self.running()[0]
        ws = self.open(vm["id"])
        self.assertEqual(ws.status, 101, ws.body)
        RfbClient(ws.recv, ws.sendall).handshake()
        pids = self.s.pids("stream")
        self.assertEqual(len(pids), 1)
        os.kill(pids[0], signal.SIGTERM)
        self.assertEqual(ws.wait_close(), (1001, "server stopping"))
        self.assertTrue(ws.eof())
        # restarted by the master: a new console opens
        wait_until(lambda: self.s.pids("stream") and self.s.pids("stream") != pids, 20, "a new stream role")
        def opens():
            w = self.open(vm["id"])
            return w.status == 101
        wait_until(opens, 20, "a console after the restart")

    def test_consoles_opened_and_refused_are_audited(self):
        vm = self.running()[0]
        me = self.s.request("GET", "/rest/v0/users/me", token=self.s.token).headers["Location"].rsplit("/", 1)[1]
        token_ids = {t["id"] for t in self.s.api("/rest/v0/users/%s/authentication_tokens" % me)}
        # Other tests open consoles of the same VM (with Basic too): only records after ours count.
        before = len(self.s.audit_records())
        ws = self.open(vm["id"])
        self.assertEqual(ws.status, 101, ws.body)
        line = self.s.wait_audit(lambda x: x["event"] == "console" and x["status"] == 101 and x["object"] == vm["id"],
                                 after=before)
        self.assertEqual((line["user"], line["method"], line["route"], line["result"], line["address"]),
                         ("admin", "GET", "/api/consoles/{id}", "success", "127.0.0.1"))
        self.assertIn(line["tokenId"], token_ids)
        self.assertTrue(line["userId"])
        RfbClient(ws.recv, ws.sendall).handshake()
        ws.close(1000)
        # Another site's page with the user's cookie: refused and audited.
        before = len(self.s.audit_records())
        ws = self.open(vm["id"], Origin="http://evil.example")
        self.assertEqual(ws.status, 403)
        line = self.s.wait_audit(lambda x: x["event"] == "console" and x["status"] == 403 and x["object"] == vm["id"],
                                 after=before)
        self.assertEqual(line["result"], "refused")
        # A bad token: a failed login of the console, its public id only.
        secret = "Bogus-Console-Token-" + "y" * 24
        before = len(self.s.audit_records())
        ws = self.open(vm["id"], token=False, Cookie="authenticationToken=" + secret)
        self.assertEqual(ws.status, 401)
        line = self.s.wait_audit(lambda x: x["event"] == "login_failed" and x["route"] == "/api/consoles/{id}",
                                 after=before)
        self.assertTrue(line["tokenId"])
        self.assertEqual((line["status"], line["object"], line["user"]), (401, vm["id"], None))
        with open(os.path.join(self.s.dir, "data/audit.log")) as f:
            text = f.read()
        self.assertNotIn(secret, text)
        self.assertNotIn(self.s.token, text)
        self.assertNotIn("OpaqueRef:", text)

    def test_log_names_console_without_session(self):
        vm = self.running()[0]
        ws = self.open(vm["id"])
        RfbClient(ws.recv, ws.sendall).handshake()
        ws.close()
        ws.wait_close()
        wait_until(lambda: "console of VM %s closed" % vm["id"] in self.s.log_text(), 10, "the close log line")
        self.assertNotIn("OpaqueRef:", self.s.log_text().split("console of VM")[-1])


if __name__ == "__main__":
    unittest.main()

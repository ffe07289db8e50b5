"""xapi's console handler in the simulator (CONNECT /console, ocaml/xapi/console.ml):
session by cookie or query, VM or console ref/uuid, refusals (401, 500 for a halted VM or
an unknown ref), and the RFB 3.8 server behind it (handshake, one framebuffer update)."""
import socket
import unittest
import urllib.parse

from rfb_client import RfbClient
from simharness import SimTestCase


class Console(SimTestCase):
    sim_args = ("--vms", "6", "--hosts", "1", "--seed", "3", "--op-delay", "0")

    def connect(self, target, cookie=None):
        s = socket.create_connection((self.sim.host, self.sim.port), timeout=10)
        head = "CONNECT %s HTTP/1.0\r\nHost: %s\r\n" % (target, self.sim.host)
        if cookie:
            head += "Cookie: session_id=%s\r\n" % cookie
        s.sendall((head + "\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(1)
            if not chunk:
                break
            answer += chunk
        status = answer.split(b" ", 2)[1].decode() if answer else ""
        return s, status

    def running_console(self):
        vm = self.sim.vm_in("Running")[0]
        consoles = self.sim.call("VM.get_consoles", vm)
        recs = [self.sim.call("console.get_record", c) for c in consoles]
        rfb = [r for r in recs if r["protocol"] == "rfb"]
        self.assertEqual(len(rfb), 1, recs)
        return vm, rfb[0]

    def test_location_names_the_host_and_console_uuid(self):
        _vm, rec = self.running_console()
        u = urllib.parse.urlsplit(rec["location"])
        self.assertEqual((u.scheme, u.hostname, u.path), ("https", "127.0.0.1", "/console"))
        self.assertEqual(urllib.parse.parse_qs(u.query), {"uuid": [rec["uuid"]]})

    def test_cookie_session_then_rfb_handshake_and_one_update(self):
        vm, rec = self.running_console()
        s, status = self.connect("/console?uuid=" + rec["uuid"], cookie=self.sim.session)
        self.assertEqual(status, "200")
        c = RfbClient(s.recv, s.sendall)
        c.handshake()
        self.assertEqual(c.name, self.sim.call("VM.get_name_label", vm))
        pixels = c.framebuffer()
        self.assertEqual(len(pixels), c.width * c.height * 4)
        self.assertEqual(c.pixel(pixels, 0, 0), (255, 0, 0))
        self.assertEqual(c.pixel(pixels, c.width - 1, c.height - 1), (255, 255, 255))
        s.close()

    def test_vm_ref_and_query_session_reach_the_default_console(self):
        vm, _rec = self.running_console()
        s, status = self.connect("/console?ref=%s&session_id=%s" % (vm, self.sim.session))
        self.assertEqual(status, "200")
        RfbClient(s.recv, s.sendall).handshake()
        s.close()

    def test_refusals(self):
        _vm, rec = self.running_console()
        target = "/console?uuid=" + rec["uuid"]
        for cookie, want in ((None, "401"), ("OpaqueRef:not-a-session", "401")):
            s, status = self.connect(target, cookie)
            self.assertEqual(status, want, cookie)
            s.close()
        for bad in ("/console", "/console?ref=OpaqueRef:nothing", "/console?uuid=nope"):
            s, status = self.connect(bad, self.sim.session)
            self.assertEqual(status, "500", bad)
            s.close()

    def test_halted_vm_has_no_console(self):
        vm = self.sim.vm_in("Halted")[0]
        self.assertEqual(self.sim.call("VM.get_consoles", vm), [])
        s, status = self.connect("/console?ref=" + vm, self.sim.session)
        self.assertEqual(status, "500")
        s.close()

    def test_stopping_the_vm_closes_an_open_console(self):
        vm, rec = self.running_console()
        s, status = self.connect("/console?uuid=" + rec["uuid"], self.sim.session)
        self.assertEqual(status, "200")
        RfbClient(s.recv, s.sendall).handshake()
        self.sim.call("VM.hard_shutdown", vm)
        s.settimeout(5)
        self.assertEqual(s.recv(1), b"")  # closed by the server
        s.close()
        self.sim.call("VM.start", vm, False, True)

    def test_console_of_a_stopped_vm_is_refused(self):
        vm, rec = self.running_console()
        self.sim.call("VM.hard_shutdown", vm)
        s, status = self.connect("/console?uuid=" + rec["uuid"], self.sim.session)
        self.assertEqual(status, "500")
        s.close()
        self.sim.call("VM.start", vm, False, True)


if __name__ == "__main__":
    unittest.main()

"""Watch streams through nginx and the stream role: events of renames, power changes,
creations and deletions in order and within 1 s, fields and filter semantics, no event
for an unchanged projection, revisions and `since` resume, 410, poller and XAPI restarts
in the middle of a watch (a client applying the events to its list converges), heartbeats."""
import http.client
import json
import os
import queue
import signal
import socket
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402


class Watch:
    """An open watch; a thread reads its lines into a queue as (arrival time, decoded line)."""

    def __init__(self, stack, path, timeout=60):
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
        self.conn.request("GET", path, headers={"Cookie": "authenticationToken=" + stack.token})
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.lines = queue.Queue()
        self.ended = threading.Event()
        if self.resp.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                self.lines.put((time.monotonic(), json.loads(line)))
        except Exception:  # noqa: BLE001 - closed by the test
            pass
        self.ended.set()

    def next(self, timeout=5.0):
        return self.lines.get(timeout=timeout)[1]

    def next_timed(self, timeout=5.0):
        return self.lines.get(timeout=timeout)

    def quiet(self, seconds):
        """True when no line arrives for `seconds`."""
        try:
            self.lines.get(timeout=seconds)
            return False
        except queue.Empty:
            return True

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # the reader thread's file keeps the socket open
        except OSError:
            pass
        self.conn.close()


def apply_events(copy, events, key):
    """A client's copy (dict id -> entry) updated with watch events."""
    for kind, entry, *_ in events:
        href = entry if isinstance(entry, str) else entry["href"]
        if kind == "update":
            copy[href] = entry
        elif kind == "remove":
            copy.pop(href, None)
    return copy


def dechunk(body):
    out, pos = b"", 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end], 16)
        if size == 0:
            return out
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


def as_map(entries):
    return {(e if isinstance(e, str) else e["href"]): e for e in entries}


class WatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=12, hosts=2, workers=1, threads=4)
        cls.sim = cls.s.sims[0]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def vm(self, i=0, running=None):
        vms = self.s.api("/rest/v0/vms?fields=uuid,name_label,power_state")
        if running is not None:
            vms = [v for v in vms if (v["power_state"] == "Running") == running]
        return vms[i]

    def test_rename_power_create_delete_arrive_in_order_within_1s(self):
        w = Watch(self.s, "/rest/v0/vms?fields=name_label,power_state&ndjson&watch")
        self.assertEqual(w.resp.status, 200)
        self.assertEqual(w.resp.getheader("Content-Type"), "application/x-ndjson")
        self.assertTrue(w.quiet(0.5))  # existing objects are not sent
        vm = self.vm(running=True)
        href = "/rest/v0/vms/" + vm["uuid"]
        t0 = time.monotonic()
        self.sim.control("rename", {"ref": vm["uuid"], "name": "watched-1"})
        at, line = w.next_timed()
        self.assertLess(at - t0, 1.0)
        self.assertEqual(line, ["update", {"name_label": "watched-1", "power_state": "Running", "href": href}])
        t0 = time.monotonic()
        self.sim.control("power", {"ref": vm["uuid"], "state": "Halted"})
        at, line = w.next_timed()
        self.assertLess(at - t0, 1.0)
        self.assertEqual(line, ["update", {"name_label": "watched-1", "power_state": "Halted", "href": href}])
        self.sim.control("add_vm", {"name": "watch-new"})
        line = w.next()
        self.assertEqual(line[0], "update")
        self.assertEqual(line[1]["name_label"], "watch-new")
        new_href = line[1]["href"]
        self.sim.control("remove_vm", {"ref": new_href.rsplit("/", 1)[1]})
        self.assertEqual(w.next(), ["remove", {"href": new_href}])
        w.close()

    def test_without_fields_entries_are_hrefs_and_any_change_counts(self):
        w = Watch(self.s, "/rest/v0/vms?ndjson=true&watch=true")
        vm = self.vm(3)
        self.sim.control("set", {"class": "VM", "ref": vm["uuid"], "field": "name_description", "value": "d1"})
        self.assertEqual(w.next(), ["update", "/rest/v0/vms/" + vm["uuid"]])
        w.close()

    def test_an_unchanged_projection_sends_nothing(self):
        w = Watch(self.s, "/rest/v0/vms?fields=name_label&ndjson&watch")
        vm = self.vm(4)
        self.sim.control("set", {"class": "VM", "ref": vm["uuid"], "field": "name_description", "value": "x"})
        self.sim.control("rename", {"ref": vm["uuid"], "name": "after-description"})
        # The first line is the rename: the description change was not sent.
        self.assertEqual(w.next()[1]["name_label"], "after-description")
        self.assertTrue(w.quiet(0.5))
        w.close()

    def test_filter_entry_and_exit(self):
        w = Watch(self.s, "/rest/v0/vms?fields=name_label&filter=power_state:Running&ndjson&watch")
        vm = self.vm(0, running=True)
        href = "/rest/v0/vms/" + vm["uuid"]
        self.sim.control("power", {"ref": vm["uuid"], "state": "Halted"})
        self.assertEqual(w.next(), ["remove", {"href": href}])
        # Changes of an object outside the filter are not sent.
        self.sim.control("rename", {"ref": vm["uuid"], "name": "halted-rename"})
        self.assertTrue(w.quiet(0.5))
        self.sim.control("power", {"ref": vm["uuid"], "state": "Running"})
        self.assertEqual(w.next(), ["update", {"name_label": "halted-rename", "href": href}])
        w.close()

    def test_hosts_and_vdis(self):
        host = self.s.api("/rest/v0/hosts?fields=uuid")[0]
        vdi = self.s.api("/rest/v0/vdis?fields=uuid")[0]
        wh = Watch(self.s, "/rest/v0/hosts?fields=name_label&ndjson&watch")
        wv = Watch(self.s, "/rest/v0/vdis?fields=name_label,size&ndjson&watch")
        self.sim.control("rename", {"class": "host", "ref": host["uuid"], "name": "host-w"})
        self.sim.control("rename", {"class": "VDI", "ref": vdi["uuid"], "name": "vdi-w"})
        self.assertEqual(wh.next(), ["update", {"name_label": "host-w", "href": "/rest/v0/hosts/" + host["uuid"]}])
        line = wv.next()
        self.assertEqual(line[1]["name_label"], "vdi-w")
        self.assertEqual(line[1]["href"], "/rest/v0/vdis/" + vdi["uuid"])
        wh.close()
        wv.close()

    def test_lines_carry_revisions_on_request_and_since_resumes(self):
        r = self.s.get("/rest/v0/vms?fields=name_label,power_state", token=self.s.token)
        rev = r.headers["X-Revision"]
        self.assertRegex(rev, r"^[0-9a-f]{8}-[0-9]+$")
        copy = as_map(r.json())
        # Changes while no watch is open.
        vms = self.s.api("/rest/v0/vms?fields=uuid,power_state")
        self.sim.control("rename", {"ref": vms[5]["uuid"], "name": "while-away"})
        self.sim.control("power", {"ref": vms[6]["uuid"],
                                   "state": "Halted" if vms[6]["power_state"] == "Running" else "Running"})
        self.sim.control("remove_vm", {"ref": vms[7]["uuid"]})
        wait_until(lambda: self.s.get("/rest/v0/vms/" + vms[7]["uuid"], token=self.s.token).status == 404, 5,
                   "the removal")
        w = Watch(self.s, "/rest/v0/vms?fields=name_label,power_state&ndjson&watch&revision&since=" + rev)
        self.assertEqual(w.resp.status, 200)
        events = []
        while True:
            try:
                events.append(w.next(timeout=1.0))
            except queue.Empty:
                break
        self.assertTrue(events)
        for e in events:
            self.assertEqual(len(e), 3)
            self.assertRegex(e[2], r"^[0-9a-f]{8}-[0-9]+$")
        apply_events(copy, events, "href")
        fresh = as_map(self.s.api("/rest/v0/vms?fields=name_label,power_state"))
        self.assertEqual(copy, fresh)
        # Live changes go on after the replay; a line's revision resumes exactly after it.
        self.sim.control("rename", {"ref": vms[5]["uuid"], "name": "live-again"})
        line = w.next()
        self.assertEqual(line[1]["name_label"], "live-again")
        w.close()
        self.sim.control("rename", {"ref": vms[5]["uuid"], "name": "after-close"})
        w2 = Watch(self.s, "/rest/v0/vms?fields=name_label&ndjson&watch&since=" + line[2])
        self.assertEqual(w2.next(), ["update", {"name_label": "after-close", "href": "/rest/v0/vms/" + vms[5]["uuid"]}])
        w2.close()

    def test_a_revision_of_another_run_is_410_and_a_bad_one_400(self):
        rev = self.s.get("/rest/v0/vms", token=self.s.token).headers["X-Revision"]
        inst, seq = rev.split("-")
        other = "%08x-%s" % ((int(inst, 16) + 1) % (1 << 32), seq)
        r = self.s.get("/rest/v0/vms?ndjson&watch&since=" + other, token=self.s.token)
        self.assertEqual(r.status, 410)
        body = r.json()
        self.assertIn("list the collection again", body["error"])
        self.assertEqual(body["data"]["since"], other)
        r = self.s.get("/rest/v0/vms?ndjson&watch&since=yesterday", token=self.s.token)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["data"], {"since": "yesterday"})
        r = self.s.get("/rest/v0/vms?ndjson&watch&heartbeat=0", token=self.s.token)
        self.assertEqual(r.status, 400)

    def test_a_bad_filter_is_xo_400(self):
        r = self.s.get("/rest/v0/vms?ndjson&watch&filter=" + urllib.parse.quote("foo:"), token=self.s.token)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["data"], {"stringToParse": "foo:"})

    def test_heartbeats_on_request(self):
        w = Watch(self.s, "/rest/v0/pools?ndjson&watch&heartbeat=1&revision")
        line = w.next(timeout=3)
        self.assertEqual(line[0], "ping")
        self.assertIsInstance(line[1], int)
        self.assertRegex(line[2], r"^[0-9a-f]{8}-[0-9]+$")
        w.close()


class WatchRestartTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack(vms=10, hosts=1, workers=1, threads=4)
        self.sim = self.s.sims[0]

    def tearDown(self):
        self.s.stop()

    def converges(self, w, copy, expect):
        """Waits until a fresh list shows expect(list) and the copy equals it."""
        fields = "fields=name_label,power_state"

        def ok():
            try:
                while True:
                    apply_events(copy, [w.next(timeout=0.05)], "href")
            except queue.Empty:
                pass
            fresh = as_map(self.s.api("/rest/v0/vms?" + fields))
            return expect(fresh) and copy == fresh
        wait_until(ok, 20, "the watcher's copy to equal a fresh list")

    def test_poller_restart_and_xapi_restart_in_the_middle_of_a_watch(self):
        fields = "fields=name_label,power_state"
        w = Watch(self.s, "/rest/v0/vms?%s&ndjson&watch" % fields)
        self.addCleanup(w.close)
        copy = as_map(self.s.api("/rest/v0/vms?" + fields))
        vms = self.s.api("/rest/v0/vms?fields=uuid")
        poller = self.s.pids("poller")
        os.kill(poller[0], signal.SIGKILL)
        self.sim.control("rename", {"ref": vms[0]["uuid"], "name": "during-poller-restart"})
        self.sim.control("remove_vm", {"ref": vms[1]["uuid"]})
        self.sim.control("add_vm", {"name": "born-during-restart"})
        wait_until(lambda: self.s.pids("poller") and self.s.pids("poller") != poller, 5, "a new poller")
        self.converges(w, copy, lambda fresh: vms[1]["href"] not in fresh and any(
            e["name_label"] == "born-during-restart" for e in fresh.values()) and
            fresh[vms[0]["href"]]["name_label"] == "during-poller-restart")
        self.sim.control("restart", {"booting_seconds": 0.5})
        time.sleep(0.2)
        self.sim.control("rename", {"ref": vms[2]["uuid"], "name": "during-xapi-restart"})
        self.sim.control("power", {"ref": vms[3]["uuid"], "state": "Halted"})
        self.converges(w, copy, lambda fresh: fresh[vms[2]["href"]]["name_label"] == "during-xapi-restart" and
                       fresh[vms[3]["href"]]["power_state"] == "Halted")
        self.assertFalse(w.ended.is_set())
        w.close()


class SlowClientTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack(vms=4, hosts=1, workers=1, threads=2, extra_config="[stream]\nclient_buffer_kb = 64")

    def tearDown(self):
        self.s.stop()

    def test_a_slow_client_is_dropped_with_a_reason(self):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", self.s.port))
        sock.sendall(("GET /rest/v0/vms?fields=name_description&ndjson&watch HTTP/1.1\r\nHost: x\r\n"
                      "Cookie: authenticationToken=%s\r\n\r\n" % self.s.token).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        self.assertIn(b"200 OK", head)
        vm = self.s.api("/rest/v0/vms?fields=uuid")[0]
        # The client reads nothing while ~12 MB of events are produced.
        for i in range(200):
            self.s.sims[0].control("set", {"class": "VM", "ref": vm["uuid"], "field": "name_description",
                                           "value": ("%03d" % i) * 20000})
            time.sleep(0.02)  # separate XAPI events (the poller would merge quick ones)
            if "too slow" in self.s.log_text():
                break
        wait_until(lambda: "too slow" in self.s.log_text(), 10, "the stream role to drop the client")
        sock.settimeout(10)
        body = b""
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            body += chunk
            if body.endswith(b"0\r\n\r\n"):
                break
        sock.close()
        self.assertTrue(body.endswith(b"0\r\n\r\n"), body[-200:])  # the response ended properly
        lines = dechunk(body).split(b"\n")
        self.assertEqual(lines[-1], b"")
        error = json.loads(lines[-2])  # the last line says why
        self.assertEqual(error[0], "error")
        for line in lines[:-2]:  # the lines before it are whole (events may be missing, never cut)
            self.assertEqual(json.loads(line)[0], "update")
        self.assertIn("client too slow", error[1]["error"])
        self.assertRegex(error[1]["revision"], r"^[0-9a-f]{8}-[0-9]+$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
